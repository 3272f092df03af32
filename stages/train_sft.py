"""Multi-task LoRA / QLoRA SFT: LM loss on assistant tokens + emotion head + support-strategy head.

Reads  models/base/, data/sft/{train,validation}.parquet, data/sft/labels.json
Writes models/sft/adapter/ (PEFT adapter), models/sft/heads.safetensors, models/sft/manifest.json,
       plots/sft_train/ (dvclive curves + losses.png), metrics/sft_train.json;
       checkpoints/sft/ while running (resumed after a kill, removed at the end; not a DVC out)
Params loss.*, sft.mixture.*, sft.lora.*, sft.train.*, quant.*, model.* (recorded in the manifest)
"""
import os

# Set before torch loads OpenMP. On a shared CPU (other processes runnable), OpenMP's default spin-waiting
# made a 2-thread training step ~4x slower than 1 thread (30 s vs 8 s measured); passive waiting
# made 2 threads as fast as 1 there (idle-machine cost not measured: no idle machine here).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from affectlab.config import load_params, stage_main  # noqa: E402
from affectlab.io import write_json_atomic  # noqa: E402
from affectlab.models import ModelSettings  # noqa: E402
from affectlab.sft.run import RunSettings, train_and_save  # noqa: E402
from affectlab.sft.settings import LoraSettings, LossSettings, MixtureSettings, QuantSettings, TrainSettings  # noqa: E402


@stage_main
def main() -> None:
    settings = RunSettings(model=load_params("model", ModelSettings), loss=load_params("loss", LossSettings),
                           mixture=load_params("sft.mixture", MixtureSettings),
                           lora=load_params("sft.lora", LoraSettings), train=load_params("sft.train", TrainSettings),
                           quant=load_params("quant", QuantSettings))
    metrics = train_and_save(settings)
    if metrics is not None:  # the main process of `accelerate launch` writes
        write_json_atomic(metrics, "metrics/sft_train.json")


if __name__ == "__main__":
    main()
