"""Export trained models for deployment (GGUF for llama.cpp / ollama, with a head sidecar)."""
