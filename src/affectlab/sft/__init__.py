"""Family C: emotion-aware multi-task LoRA / QLoRA SFT (data preparation, mixture sampling, model, training)."""
