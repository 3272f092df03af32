"""Export the affect model as a llama GGUF (LoRA merged into the base; F32 and the quantised types of
affect.export.types) with its sidecar (regression head and ridge as safetensors, sidecar.json) and an ollama
Modelfile, and verify the round trip: each GGUF read back with transformers against the merged model (logits)
and against `affect predict` (head); the F32 figures must be within affect.export.tolerance.

Reads  models/affect, models/base (and the base model's source GGUF for the tokenizer)
Writes models/affect_gguf/ (affect.gguf, affect.<TYPE>.gguf, heads.safetensors, ridge.safetensors, sidecar.json,
       Modelfile), metrics/affect_export.json
Params affect.export.*
"""
from affectlab.affect.serving import export_affect_gguf
from affectlab.affect.settings import AffectExportSettings
from affectlab.config import load_params, stage_main
from affectlab.errors import ModelError
from affectlab.metrics import write_metrics
from affectlab.models import BASE_DIR

MODEL, OUT, METRICS = "models/affect", "models/affect_gguf", "metrics/affect_export.json"


def micro(x: float) -> float:
    """|differences| in units of 1e-6 (metrics keep 4 decimals, F32 differences are ~1e-6..1e-5)."""
    return float(f"{x * 1e6:.3g}")


def export_metrics(result: dict) -> dict:
    m = {}
    for qtype in result["files"]:
        c = result["checks"][qtype]
        m[f"export.{qtype}.logits_max_abs_diff_micro"] = micro(c["logits_max_abs_diff"])
        m[f"export.{qtype}.head_max_abs_diff_micro"] = micro(c["head_max_abs_diff"])
        m[f"export.{qtype}.tokens_equal"] = int(c["tokens_equal"])
    if result["checks"]["ridge_max_abs_diff"] is not None:
        m["export.ridge_via_base_gguf.max_abs_diff_micro"] = micro(result["checks"]["ridge_max_abs_diff"])
    m["export.default_is_ridge"] = int(result["default"] == "ridge")
    return m


@stage_main
def main() -> None:
    p = load_params(AffectExportSettings)
    result = export_affect_gguf(MODEL, OUT, p.types, BASE_DIR)
    metrics = export_metrics(result)
    write_metrics(metrics, METRICS, "export_affect_gguf")
    f32 = result["checks"]["F32"]
    if not f32["tokens_equal"] or max(f32["logits_max_abs_diff"], f32["head_max_abs_diff"]) > p.tolerance:
        raise ModelError(f"{OUT}/affect.gguf: round trip off (logits {f32['logits_max_abs_diff']:.3g}, head "
                         f"{f32['head_max_abs_diff']:.3g}, tolerance {p.tolerance:g}, same tokens "
                         f"{f32['tokens_equal']}); see {METRICS}")


if __name__ == "__main__":
    main()
