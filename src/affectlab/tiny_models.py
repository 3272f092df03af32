"""Tiny randomly initialised causal LMs with a real (word-level) tokenizer, for fast unit tests.

Built in memory in well under a second, no files or network: the same transformers/peft code paths as
the real base model (llama architecture, chat template, padding) at a thousandth of the cost.
"""
from __future__ import annotations

CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL = ["<pad>", "<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"]


def tiny_tokenizer(corpus: list[str] | None = None, vocab_size: int = 512):
    """A word-level fast tokenizer trained on `corpus` (a small built-in English corpus by default)."""
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    corpus = corpus or _DEFAULT_CORPUS
    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(corpus, trainers.WordLevelTrainer(vocab_size=vocab_size, special_tokens=SPECIAL))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", unk_token="<unk>",
                                   bos_token="<s>", eos_token="<|im_end|>",
                                   additional_special_tokens=["<|im_start|>", "</s>"])
    fast.chat_template = CHAT_TEMPLATE
    return fast


def tiny_causal_lm(tokenizer=None, *, layers: int = 2, hidden: int = 32, seed: int = 0):
    """(model, tokenizer): a llama-architecture LM with `layers` blocks of width `hidden`."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    tokenizer = tokenizer or tiny_tokenizer()
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=hidden * 2,
                         num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=512, pad_token_id=tokenizer.pad_token_id,
                         bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
                         tie_word_embeddings=True)
    torch.manual_seed(seed)
    return LlamaForCausalLM(config).eval(), tokenizer


_DEFAULT_CORPUS = [
    "I am so happy and grateful for your help today .",
    "This is wonderful news , thank you so much !",
    "I feel sad and lonely since my friend moved away .",
    "I am angry that nobody listened to me at work .",
    "I am afraid of the exam tomorrow and cannot sleep .",
    "What a surprise , I did not expect to win the prize !",
    "That food was disgusting and I felt sick .",
    "The meeting is at noon in the small room .",
    "Can you help me understand why I feel this way ?",
    "It sounds like you are going through a lot right now .",
    "You are not alone , and it is okay to ask for support .",
    "Have you tried talking to someone you trust about it ?",
    "user assistant system think answer because the reason emotion is",
    "joy sadness anger fear surprise disgust neutral love pride relief hope",
]


def tiny_gemma3(tokenizer=None, *, layers: int = 3, hidden: int = 32, multimodal: bool = False, seed: int = 0):
    """(model, tokenizer): a Gemma 3 text LM, or with `multimodal` the conditional-generation wrapper of
    google/gemma-3-4b-it (a SigLIP vision tower + projector around the text model), tiny and random."""
    import torch
    from transformers import (Gemma3Config, Gemma3ForCausalLM, Gemma3ForConditionalGeneration, Gemma3TextConfig,
                              SiglipVisionConfig)

    tokenizer = tokenizer or tiny_tokenizer()
    text = Gemma3TextConfig(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=hidden * 2,
                            num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                            head_dim=hidden // 4, max_position_embeddings=512, sliding_window=16,
                            pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                            eos_token_id=tokenizer.eos_token_id)
    torch.manual_seed(seed)
    if not multimodal:
        return Gemma3ForCausalLM(text).eval(), tokenizer
    vision = SiglipVisionConfig(hidden_size=16, intermediate_size=32, num_hidden_layers=1, num_attention_heads=2,
                                image_size=16, patch_size=8)
    config = Gemma3Config(text_config=text.to_dict(), vision_config=vision.to_dict(), mm_tokens_per_image=4,
                          image_token_index=len(tokenizer) - 1)
    return Gemma3ForConditionalGeneration(config).eval(), tokenizer
