"""Multi-task LoRA / QLoRA SFT: LM loss on assistant tokens + emotion head + support-strategy head + affect head
(family E's train split) + KL to the safety teacher on the safety prompts' replies.

Reads  models/base/, data/sft/{train,validation}.parquet, data/sft/labels.json, data/safety/teacher.safetensors,
       data/affect/dataset.jsonl (train rows trained on, test rows scored), the natural held-out set (scored)
Writes models/sft/adapter/ (PEFT adapter), models/sft/heads.safetensors, models/sft/manifest.json,
       plots/sft_train/ (dvclive curves + losses.png), metrics/sft_train.json;
       checkpoints/sft/ while running (resumed after a kill, removed at the end; not a DVC out)
Params loss.*, sft.mixture.*, sft.lora.*, sft.train.*, sft.affect.*, quant.*, model.* (recorded in the manifest)
"""
from affectlab.config import load_params, stage_main
from affectlab.metrics import write_metrics
from affectlab.models import ModelSettings
from affectlab.sft.run import RunSettings, train_and_save
from affectlab.sft.settings import (LoraSettings, LossSettings, QuantSettings, SftAffectSettings, SftMixtureSettings,
                                    SftTrainSettings)


@stage_main
def main() -> None:
    settings = RunSettings(model=load_params(ModelSettings), loss=load_params(LossSettings),
                           mixture=load_params(SftMixtureSettings),
                           lora=load_params(LoraSettings), train=load_params(SftTrainSettings),
                           quant=load_params(QuantSettings), affect=load_params(SftAffectSettings))
    metrics = train_and_save(settings)
    if metrics is not None:  # the main process of `accelerate launch` / `torchrun` writes
        write_metrics(metrics, "metrics/sft_train.json", "train_sft")


if __name__ == "__main__":
    main()
