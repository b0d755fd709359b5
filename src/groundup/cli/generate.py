"""``groundup generate RUN``: text from a trained language-model run (same seed, same text).

groundup generate runs/shakespeare-char-autograd-... --prompt "ROMEO:" --tokens 300 \\
    --temperature 0.8 --top-k 200 --seed 1
"""

from __future__ import annotations

from groundup.cli.args import value


def register(subparsers) -> None:
    from groundup.engines.lm import LM_ENGINES

    p = subparsers.add_parser(
        "generate", help="sample text from a trained language model (groundup train shakespeare)",
        description="Print PROMPT followed by --tokens characters drawn from the run's model: "
        "softmax(logits / temperature) over the top-k most likely characters, seeded.")
    p.add_argument("run", metavar="RUN", help="a run folder written by 'groundup train "
                   "shakespeare' (or by training on a .txt file)")
    p.add_argument("--prompt", default="\n", help="the text to continue (default: a newline); "
                   "only characters of the training text")
    p.add_argument("--tokens", type=value("tokens"), default=300,
                   help="characters to generate (default 300)")
    p.add_argument("--temperature", type=value("temperature"), default=0.8,
                   help="below 1 sharper, above 1 flatter (default 0.8)")
    p.add_argument("--top-k", type=value("top_k"), default=None, metavar="K",
                   help="sample among the K likeliest characters only (default: all)")
    p.add_argument("--seed", type=value("seed"), default=0, help="seed of the draws (default 0)")
    p.add_argument("--engine", choices=LM_ENGINES, help="engine to run it on (default: the "
                   "run's own)")
    p.set_defaults(func=run)


def run(args) -> int:
    from groundup.runs_lm import open_lm_run

    text = open_lm_run(args.run, args.engine).generate(args.prompt, args.tokens,
                                                       args.temperature, args.top_k, args.seed)
    print(text)
    return 0
