"""Bad input to the language-model commands, one row each (harness: ``tests/badinput.py``): an
empty or non-UTF-8 text file, a block size larger than the text or than memory, a prompt with
characters outside the vocabulary, --tokens 0, a classifier's option given to a language model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from badinput import Case, check_case
from groundup.runs_lm import build_lm_config, train_lm_run

RUN: dict[str, Path] = {}
TEXT = "to be or not to be, that is the question\n" * 20


@pytest.fixture(scope="module", autouse=True)
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lm")
    (folder / "t.txt").write_text(TEXT, encoding="utf-8")
    cfg = replace(build_lm_config(str(folder / "t.txt"), max_iters=1, block_size=8), n_layer=1,
                  n_head=1, n_embd=8, batch_size=2, eval_iters=1, final_eval_iters=1)
    train_lm_run(cfg, out=folder / "run", plots=False, sample_tokens=2, log=lambda s: None)
    RUN["run"] = folder / "run"


def _file(name: str, data: bytes, *extra: str):
    def make(tmp: Path) -> list[str]:
        (tmp / name).write_bytes(data)
        return ["train", str(tmp / name), "--iters", "1", "--out", str(tmp / "out"), *extra]
    return make


def _gen(*extra: str):
    return lambda tmp: ["generate", str(RUN["run"]), *extra]


CASES = [
    Case("empty-text", _file("e.txt", b""), ("is empty",)),
    Case("bom-only-text", _file("b.txt", b"\xef\xbb\xbf"), ("byte-order mark",)),
    Case("latin1-text", _file("l.txt", "café olé\n".encode("latin-1") * 50),
         ("not UTF-8", "iconv")),
    Case("block-larger-than-text", _file("s.txt", b"short text\n" * 3, "--block-size", "64"),
         ("block size 64", "smaller --block-size")),
    # 12 x 4 x 100000² attention weights per layer: terabytes, refused before allocating
    Case("block-too-large-for-memory",
         _file("m.txt", TEXT.encode() * 1300, "--block-size", "100000"),
         ("block size 100000", "GiB", "attention weights", "--block-size")),
    Case("zero-iters", _file("z.txt", TEXT.encode(), "--iters", "0"), ("--iters",)),
    Case("epochs-on-text", _file("p.txt", TEXT.encode(), "--epochs", "3"),
         ("--epochs", "language model")),
    Case("scratch-engine", _file("g.txt", TEXT.encode(), "--engine", "scratch"),
         ("scratch", "autograd, torch")),
    Case("prompt-outside-vocab", _gen("--prompt", "ROMEO:"), ("outside", "'R'", "'O'")),
    Case("tokens-zero", _gen("--tokens", "0"), ("--tokens", "positive integer")),
    Case("temperature-zero", _gen("--temperature", "0"), ("--temperature",)),
    Case("top-k-zero", _gen("--top-k", "0"), ("--top-k",)),
    Case("generate-not-a-run", lambda tmp: ["generate", str(tmp)], ("not a language-model run",)),
    Case("evaluate-lm-run", lambda tmp: ["evaluate", str(RUN["run"])],
         ("language-model run", "groundup generate")),
    Case("predict-lm-run", lambda tmp: ["predict", str(RUN["run"]), str(tmp / "digit.png")],
         ("language-model run", "groundup generate")),
]


@pytest.mark.parametrize("case", CASES, ids=str)
def test_bad_lm_input(case, tmp_path, capsys):
    check_case(case, tmp_path, capsys)
