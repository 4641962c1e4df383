"""A tiny random BERT, a WordPiece tokenizer and a synthetic paired-sentence dataset,
all built locally (nothing is downloaded)."""

from __future__ import annotations

import random
from typing import Any

WORDS = ["red", "blue", "green", "cat", "dog", "bird", "runs", "sleeps", "eats", "big",
         "small", "the", "a", "and", "not", "very"]


def tokenizer() -> Any:
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
                                         *WORDS])}
    tok = Tokenizer(models.WordPiece(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]",
        model_input_names=["input_ids", "token_type_ids", "attention_mask"])


def model(seed: int = 0) -> Any:
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(WORDS) + 5, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, num_labels=2,
                        max_position_embeddings=64)
    return BertForSequenceClassification(config)


def dataset(tok: Any, rows: int = 64, seed: int = 0) -> Any:
    from datasets import Dataset

    rng = random.Random(seed)
    first = [" ".join(rng.choices(WORDS, k=4)) for _ in range(rows)]
    second = [" ".join(rng.choices(WORDS, k=4)) for _ in range(rows)]
    labels = [int("cat" in a) for a in first]
    data = Dataset.from_dict({"a": first, "b": second, "label": labels})
    return data.map(lambda b: tok(b["a"], b["b"], padding="max_length", max_length=16,
                                  truncation=True), batched=True)


def accuracy(pred: Any) -> dict[str, float]:
    return {"accuracy": float((pred.predictions.argmax(-1) == pred.label_ids).mean())}
