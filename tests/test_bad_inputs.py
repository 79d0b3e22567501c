"""Every bad input we know of, through the command line: exit code 2 and one line on stderr,
`slopscope: error: ...`, naming the bad value, before anything is trained.

Each case is (argv, fragment): `{tmp}` in argv is a folder holding the bad files written below
(and the runs directory); the fragment must appear in the error line.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from slopscope.cli import main
from slopscope.experiments.config.schema import load_config
from slopscope.experiments.run import runner
from slopscope.experiments.sweeps import executors
from slopscope.tokendata import files


def _files(tmp) -> None:
    """The bad (and a few good) input files the cases name."""
    (tmp / "empty.txt").write_bytes(b"")
    (tmp / "nul.txt").write_bytes(b"abc\n\x00\x01\n")
    (tmp / "latin1.txt").write_bytes(b"abc\n\xe9t\xe9\n")
    (tmp / "blank.txt").write_text("\n\n  \n")
    (tmp / "ragged.txt").write_text("ab\nabc\nabd\nabcd\n" * 20)
    (tmp / "words.txt").write_text("".join(f"{a}{b}{c}\n" for a in "abcdefgh" for b in "abcdefgh"
                                           for c in "abcdefgh"))
    (tmp / "folder").mkdir()
    np.save(tmp / "neg.npy", np.array([[1, 2, -3], [4, 5, 6]] * 600))
    np.save(tmp / "minus1.npy", np.full((5, 3), -1))
    np.save(tmp / "big.npy", np.array([[1, 2, 2**40], [4, 5, 6]] * 600))
    np.save(tmp / "u64.npy", np.array([[1, 2**64 - 1]], dtype=np.uint64))
    np.save(tmp / "float.npy", np.array([[1, 2, 3.5], [4, 5, 6]] * 600))
    np.save(tmp / "nan.npy", np.array([[1.0, np.nan]]))
    np.save(tmp / "vector.npy", np.arange(10))
    np.save(tmp / "wide0.npy", np.zeros((4, 0), dtype=np.int64))
    np.save(tmp / "obj.npy", np.array([[1], ["a"]], dtype=object), allow_pickle=True)
    (tmp / "junk.npy").write_bytes(b"not numpy at all")
    (tmp / "junk.parquet").write_bytes(b"PAR1 nope")
    pq.write_table(pa.table({"ids": pa.array([[1, 2], [3, -4]])}), tmp / "neg.parquet")
    pq.write_table(pa.table({"ids": pa.array([[1, 2**40]])}), tmp / "big.parquet")
    pq.write_table(pa.table({"ids": pa.array([[], []], pa.list_(pa.int32()))}),
                   tmp / "empty_lists.parquet")
    pq.write_table(pa.table({"a": pa.array([[1, 2]]), "b": pa.array([[3, 4]])}),
                   tmp / "two.parquet")
    pq.write_table(pa.table({"a": pa.array([[1, 2], None])}), tmp / "null.parquet")
    pq.write_table(pa.table({"f": pa.array([[1.5, 2.0]])}), tmp / "floats.parquet")
    (tmp / "bad.toml").write_text("name = [")
    (tmp / "unknown.toml").write_text('[grammar]\nvv = 3\n')
    sweeps = {
        "sweep_unknown.toml": 'base = "demo"\nworkerz = 2\n',
        "sweep_nobase.toml": '[grid]\n"data.train" = [8]\n',
        "sweep_both.toml": 'base = "demo"\npoints = [{"data.train" = 8}]\n[grid]\n'
                           '"data.train" = [8]\n',
        "sweep_points.toml": 'base = "demo"\npoints = [1, 2]\n',
        "sweep_emptygrid.toml": 'base = "demo"\n[grid]\n"data.train" = []\n',
        "sweep_badvalue.toml": 'base = "demo"\n[grid]\n"train.steps" = ["x"]\n',
        "sweep_badkey.toml": 'base = "demo"\n[grid]\n"train.stepz" = [1]\n',
        "sweep_badbase.toml": 'base = "e9"\n',
        "sweep_invalid.toml": 'base = "demo"\n[grid\n',
        "sweep_hugeL.toml": 'base = "demo"\n[grid]\n"grammar.L" = [3, 40]\n',
        "sweep_seeds.toml": 'base = "demo"\nseeds = [1000]\n[grid]\n"data.train" = [8, 16]\n',
    }
    for name, text in sweeps.items():
        (tmp / name).write_text(text)
    (tmp / "not_a_run").mkdir()
    run = tmp / "fake_run"  # a run directory: its saved configuration is enough here
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"config": load_config("demo").to_dict(),
                                                 "seed": 0}))
    old = tmp / "old_run"  # measured by an older slopscope: a summary but not today's tables
    shutil.copytree(run, old)
    split = {"reproduced_fraction": 0.0, "median_generation_time": None, "generation_time": {}}
    (old / "summary.json").write_text(json.dumps({"name": "demo", "seed": 0, "steps": [1],
                                                  "final": {}, "splits": {"train": split,
                                                                          "test": split}}))


RUN = ["run", "--runs-dir", "{tmp}/runs", "e2"]  # the run command on the E2 preset
DATA = [*RUN, "data.path={tmp}/%s"]  # ... on a data file

CASES = [
    # ---- configuration keys, types and override syntax ----------------------------------------
    ([*RUN, "grammar.w=3"], "unknown key 'grammar.w'; allowed: v, n, m, s, L"),
    ([*RUN, "foo.bar=1"], "unknown key 'foo'; allowed: name"),
    ([*RUN, "train.stepz=1"], "unknown key 'train.stepz'"),
    (["run", "{tmp}/unknown.toml"], "unknown key 'grammar.vv'"),
    ([*RUN, "train.steps=2.5"], "'train.steps' = 2.5 has the wrong type; allowed: int"),
    ([*RUN, "grammar.zipf_a=true"], "'grammar.zipf_a' = True has the wrong type"),
    ([*RUN, "data.train=many"], "'data.train' = 'many' has the wrong type"),
    ([*RUN, "measure.likelihood=yes"], "'measure.likelihood' = 'yes' has the wrong type"),
    ([*RUN, "train=5"], "'train' = 5 has the wrong type; allowed: a table"),
    ([*RUN, "seeds=a"], "'seeds' = 'a' has the wrong type"),
    ([*RUN, "train"], "override 'train' must look like key.sub=value"),
    ([*RUN, "train..steps=5"], "override 'train..steps=5' has an empty key part"),
    ([*RUN, "grammar.v.x=1"], "override 'grammar.v.x=1': 'v' is not a table"),
    (["run", "e9"], "'e9' is neither a preset"),
    (["run", "{tmp}"], "is neither a preset"),
    (["run", "{tmp}/bad.toml"], "bad.toml is not valid TOML"),
    # ---- grammar sizes ------------------------------------------------------------------------
    ([*RUN, "grammar.v=1"], "grammar: v=1 is too small; allowed: v >= 2"),
    ([*RUN, "grammar.n=0"], "grammar: n=0 is too small; allowed: n >= 1"),
    ([*RUN, "grammar.m=0"], "grammar: m=0 is too small; allowed: m >= 1"),
    ([*RUN, "grammar.s=1"], "grammar: s=1 is too small; allowed: s >= 2"),
    ([*RUN, "grammar.L=0"], "grammar: L=0 is too small; allowed: L >= 1"),
    ([*RUN, "grammar.m=20"], "grammar: m=20 exceeds v**(s-1)=16"),
    ([*RUN, "grammar.v=4", "grammar.m=4", "grammar.n=5"], "n*m=20 exceeds v**s=16"),
    ([*RUN, "grammar.s=100"], "v**s = 16**100 is too large; allowed: v**s <= 2**62"),
    ([*RUN, "grammar.s=1000000000"], "v**s = 16**1000000000 is too large"),
    ([*RUN, "grammar.seed=-1"], "grammar: seed=-1 is too small"),
    # the huge-L case: 2**40 tokens per string (it used to hang and eat memory)
    ([*RUN, "grammar.L=40"], "L=40 is too large: strings of s**L = 2**40 = 1099511627776 tokens"),
    ([*RUN, "grammar.L=1000000000"], "L=1000000000 is too large"),
    (["grammar", "--L", "40", "--out", "{tmp}/g"], "L=40 is too large"),
    # ... and runs that would not fit in memory
    ([*RUN, "grammar.L=16"], "needs ~70.6 TB of memory (transformer training batch of 256 "
     "strings of 65536 tokens: ~70.5 TB; 2000 generated and 2000 reference strings: ~9.78 GB) "
     "but ~17.2 GB is available"),
    ([*RUN, "grammar.L=16", "model.backbone=unet"], "strings have s**L = 2**16 = 65536 tokens"),
    ([*RUN, "data.train=1000000000000"], "1000000000512 training and held-out strings"),
    ([*RUN, "measure.generations=1000000000000"], "1000000000000 generated and"),
    ([*RUN, "grammar.v=4096", "grammar.n=4096", "grammar.m=4096"], "grammar tables: ~3.3 TB"),
    # ---- Zipf tails ---------------------------------------------------------------------------
    ([*RUN, "grammar.zipf_a=1.0"], "zipf_a=1.0 given but zipf_levels is empty"),
    ([*RUN, "grammar.zipf_levels=[1]"], "zipf_levels=[1] given without zipf_a"),
    ([*RUN, "grammar.zipf_a=-2", "grammar.zipf_levels=all"], "zipf_a=-2 must be > -1"),
    ([*RUN, "grammar.zipf_a=nan", "grammar.zipf_levels=all"], "zipf_a=nan must be a finite"),
    ([*RUN, "grammar.zipf_a=1", "grammar.zipf_levels=[5]"], "zipf level=5 is too large; "
     "allowed: zipf level <= 3"),
    ([*RUN, "grammar.zipf_a=1", "grammar.zipf_levels=[1, 1]"], "repeats a level"),
    ([*RUN, "grammar.zipf_a=1", "grammar.zipf_levels=top"], "zipf level='t' must be an integer"),
    # ---- family, backbone and their options ---------------------------------------------------
    ([*RUN, "diffusion.family=gauss"], "'diffusion.family' = 'gauss'; allowed: gaussian, "
     "masked, uniform"),
    ([*RUN, "diffusion.options.T=5"], "unknown key 'diffusion.options.T'"),
    ([*RUN, "diffusion.options=5"], "'diffusion.options' = 5 has the wrong type"),
    ([*RUN, "diffusion.options.eps=2"], "eps=2 must be in [0, 1)"),  # when the family is made
    ([*RUN, "model.backbone=mlp"], "'model.backbone' = 'mlp'; allowed: oracle, transformer, "
     "unet"),
    ([*RUN, "model.options.depth=2"], "unknown key 'model.options.depth'; allowed: width"),
    ([*RUN, "model.backbone=unet", "model.options.heads=2"], "unknown key 'model.options.heads'"),
    ([*RUN, "model.options.width=0"], "model.options: width=0 is too small"),
    ([*RUN, "model.backbone=unet", "model.options.branching=3"], "model.options: d=8 is not a "
     "power of branching=3"),
    ([*RUN, "model.options.heads=3"], "width=64 is not divisible by heads=3"),
    ([*RUN, "model.options.layers=two"], "model.options: layers='two' must be an integer"),
    ([*RUN, "model.backbone=oracle", "model.options.memorize=1.5"],
     "model.options: 'memorize' = 1.5; allowed: a share in [0, 1]"),
    ([*RUN, "model.backbone=oracle", "model.options.memorize_set=most"],
     "model.options: 'memorize_set' = 'most'; allowed: all, typical, atypical"),
    ([*RUN, "model.backbone=oracle", "model.options.sharpen=50"], "model.options: 'sharpen' = 50"),
    ([*RUN, "model.backbone=oracle", "data.path={tmp}/words.txt"], "needs a grammar"),
    # ---- seeds --------------------------------------------------------------------------------
    ([*RUN, "seeds=[]"], "'seeds' = []; allowed: a non-empty list of ints >= 0"),
    ([*RUN, "seeds=[-1]"], "'seeds' = [-1]; allowed"),
    ([*RUN, "data.seed=-1"], "data: seed=-1 is too small"),
    ([*RUN, "train.seed=-1"], "train: seed=-1 is too small"),
    # ---- training -----------------------------------------------------------------------------
    ([*RUN, "train.lr=-1"], "train: lr=-1.0 must be a positive number"),
    ([*RUN, "train.lr=0"], "train: lr=0.0 must be a positive number"),
    ([*RUN, "train.lr=inf"], "train: lr=inf must be a positive number"),
    ([*RUN, "train.steps=0"], "train: steps=0 is too small"),
    ([*RUN, "train.batch_size=0"], "train: batch_size=0 is too small"),
    ([*RUN, "train.warmup=-1"], "train: warmup=-1 is too small"),
    ([*RUN, "train.checkpoints=0"], "train: checkpoints=0 is too small"),
    ([*RUN, "train.first_checkpoint=0"], "train: first_checkpoint=0 is too small"),
    ([*RUN, "train.ema=1.5"], "train: ema=1.5; allowed: a decay in (0, 1)"),
    ([*RUN, "train.device=tpu"], "train: device='tpu'; allowed: 'auto', 'cpu', 'cuda[:N]'"),
    # ---- measurement and verdict rules --------------------------------------------------------
    ([*RUN, "measure.generations=0"], "measure: generations=0 is too small"),
    ([*RUN, "measure.nelbo_samples=0"], "measure: nelbo_samples=0 is too small"),
    ([*RUN, "findings.a_typicality=t9"], "'a_typicality' = 't9'; allowed: t1, t1_kgram, t2"),
    ([*RUN, "findings.a_time=first"], "'a_time' = 'first'; allowed: halfway, last"),
    ([*RUN, "findings.d_copy_gate=0"], "'d_copy_gate' = 0.0; allowed: a share in (0, 1]"),
    ([*RUN, "findings.d_copy_gate=1.5"], "'d_copy_gate' = 1.5; allowed"),
    ([*RUN, "findings.d_block_size=0"], "d_block_size=0 is too small"),
    # ---- data settings ------------------------------------------------------------------------
    ([*RUN, "data.train=0"], "data: train=0 is too small"),
    ([*RUN, "data.test=0"], "data: test=0 is too small"),
    ([*RUN, "data.max_vocab=1"], "data: max_vocab=1 is too small"),
    ([*RUN, "data.length=0"], "data: length=0 is too small"),
    ([*RUN, "data.format=csv"], "'format' = 'csv'; allowed: auto, text, npy, parquet"),
    ([*RUN, "data.tokens=bytes"], "'tokens' = 'bytes'; allowed: chars, whitespace"),
    # ---- data files ---------------------------------------------------------------------------
    ([*RUN, "data.path={tmp}/missing.txt"], "missing.txt' is not a file"),
    ([*RUN, "data.path={tmp}/folder"], "folder' is not a file"),
    ([*RUN, "data.path=/usr/share/dict/no-such-words"], "is not a file (the system word list"),
    ([*RUN, "data.path={tmp}/empty.txt"], "empty.txt' is empty"),
    ([*RUN, "data.path={tmp}/nul.txt"], "line 2 holds a NUL byte"),
    ([*RUN, "data.path={tmp}/latin1.txt"], "line 2 is not UTF-8 (byte 0xe9)"),
    ([*RUN, "data.path={tmp}/blank.txt", "data.tokens=whitespace"], "has no sequences (3 lines, "
     "3 blank"),
    ([*RUN, "data.path={tmp}/words.txt", "data.pattern=[a-"], "data.pattern='[a-' is not a "
     "regular expression"),
    ([*RUN, "data.path={tmp}/words.txt", "data.pattern=x+"], "has no sequences"),
    ([*RUN, "data.path={tmp}/ragged.txt"], "the sequences have 3 lengths (2 tokens: 20, 3 tokens:"
     " 40, 4 tokens: 20); allowed: one length"),
    ([*RUN, "data.path={tmp}/ragged.txt", "data.length=7"], "no sequence has length 7"),
    ([*RUN, "data.path={tmp}/words.txt"], "data.train + data.test = 1024 but the data has 512 "
     "sequences"),
    ([*RUN, "data.path={tmp}/words.txt", "data.max_vocab=4", "data.train=8", "data.test=8"],
     "the data has 8 distinct tokens; allowed: at most data.max_vocab=4"),
    ([*RUN, "data.path={tmp}/neg.npy"], "neg.npy' holds token id -3 (sequence 0, position 2); "
     "allowed: integer token ids 0..2147483647"),
    ([*RUN, "data.path={tmp}/minus1.npy"], "holds token id -1 (sequence 0, position 0)"),
    ([*RUN, "data.path={tmp}/big.npy"], "holds token id 1099511627776 (sequence 0, position 2)"),
    ([*RUN, "data.path={tmp}/u64.npy"], "holds token id 18446744073709551615"),
    ([*RUN, "data.path={tmp}/float.npy"], "float.npy' holds a float64 array of shape (1200, 3) "
     "(value 3.5 at sequence 0, position 2); allowed: a non-empty (sequences, length) integer "
     "array"),
    ([*RUN, "data.path={tmp}/nan.npy"], "(value nan at sequence 0, position 1)"),
    ([*RUN, "data.path={tmp}/vector.npy"], "holds a int64 array of shape (10,)"),
    ([*RUN, "data.path={tmp}/wide0.npy"], "holds a int64 array of shape (4, 0)"),
    ([*RUN, "data.path={tmp}/obj.npy"], "obj.npy' is an object array"),
    ([*RUN, "data.path={tmp}/junk.npy"], "junk.npy' is not a .npy file"),
    ([*RUN, "data.path={tmp}/junk.parquet"], "junk.parquet' is not a Parquet file"),
    ([*RUN, "data.path={tmp}/words.txt", "data.format=npy"], "words.txt' is not a .npy file"),
    ([*RUN, "data.path={tmp}/neg.parquet"], "data.column='ids' of '{tmp}/neg.parquet' holds "
     "token id -4 (sequence 1, position 1)"),
    ([*RUN, "data.path={tmp}/big.parquet"], "holds token id 1099511627776"),
    ([*RUN, "data.path={tmp}/empty_lists.parquet"], "holds only empty lists"),
    ([*RUN, "data.path={tmp}/two.parquet"], "has integer-list columns ['a', 'b']; allowed: "
     "exactly one"),
    ([*RUN, "data.path={tmp}/two.parquet", "data.column=c"], "data.column='c' is not an "
     "integer-list column"),
    ([*RUN, "data.path={tmp}/null.parquet"], "has 1 null rows"),
    ([*RUN, "data.path={tmp}/floats.parquet"], "has integer-list columns []"),
    # ---- sweeps -------------------------------------------------------------------------------
    (["sweep", "{tmp}/sweep_unknown.toml"], "unknown key 'workerz' in"),
    (["sweep", "{tmp}/sweep_nobase.toml"], "lacks 'base'"),
    (["sweep", "{tmp}/sweep_both.toml"], "either 'grid' or 'points', not both"),
    (["sweep", "{tmp}/sweep_points.toml"], "'points' must be a non-empty list of tables"),
    (["sweep", "{tmp}/sweep_emptygrid.toml"], "grid key 'data.train' must list at least one"),
    (["sweep", "{tmp}/sweep_badvalue.toml"], "'train.steps' = 'x' has the wrong type"),
    (["sweep", "{tmp}/sweep_badkey.toml"], "unknown key 'train.stepz'"),
    (["sweep", "{tmp}/sweep_badbase.toml"], "'e9' is neither a preset"),
    (["sweep", "{tmp}/sweep_invalid.toml"], "cannot read sweep file"),
    (["sweep", "{tmp}/sweep_hugeL.toml"], "L=40 is too large"),
    (["sweep", "{tmp}/no_sweep.toml"], "cannot read sweep file {tmp}/no_sweep.toml"),
    (["sweep", "e9"], "cannot read sweep file e9"),
    # ---- calibration --------------------------------------------------------------------------
    (["calibrate", "demo", "--runs", "0"], "runs=0 is too small; allowed: runs >= 1"),
    (["calibrate", "demo", "--memorize", "1.5"], "memorize=1.5; allowed: a planted share"),
    (["calibrate", "{tmp}/sweep_badvalue.toml"], "'train.steps' = 'x' has the wrong type"),
    (["calibrate", "demo", "--runs", "x"], "argument --runs: invalid int value: 'x'"),
    (["frobnicate"], "invalid choice: 'frobnicate'"),
    (["calibrate", "e9"], "'e9' is neither a preset"),
    (["calibrate", "{tmp}/bad.toml"], "is not valid TOML"),
    (["calibrate", "{tmp}/sweep_seeds.toml"], "sweep seeds [1000] for calibration; allowed: "
     "seeds in 0..999"),
    # ---- existing directories -----------------------------------------------------------------
    (["report", "{tmp}/not_a_run"], "not_a_run"),
    (["report", "{tmp}/old_run"], "lacks tables/checkpoints.parquet (measured by an older "
     "slopscope): run `slopscope measure"),
    (["measure", "{tmp}/not_a_run"], "not_a_run is not a run directory (no config.json)"),
    (["measure", "{tmp}/fake_run", "train.steps=5"], "override 'train.steps=5' would change a "
     "finished run; allowed: measure.* and findings.* keys only"),
    (["measure", "{tmp}/fake_run", "measure.generations=0"], "generations=0 is too small"),
    # ---- the grammar command ------------------------------------------------------------------
    (["grammar", "--m", "20", "--out", "{tmp}/g"], "m=20 exceeds v**(s-1)=16"),
    (["run", "demo", "diffusion.options.eps=2"], "diffusion.options: eps=2 must be in [0, 1)"),
    (["run", "demo", "diffusion.family=uniform", "diffusion.options.chain_length=10000000000000"],
     "chain_length=10000000000000 is too large; allowed: chain_length <= 100000"),
    (["run", "demo", "measure.sampler.sampler_steps=1000000"], "sampler_steps=1000000 is too "
     "large"),
    (["run", "demo", "train.grad_clip=-1"], "grad_clip=-1.0; allowed: a number >= 0"),
    (["run", "demo", "train.weight_decay=-1"], "weight_decay=-1.0; allowed: a number >= 0"),
    (["run", "demo", "model.backbone=oracle", "model.options.onset=-1"],
     "model.options: onset=-1 is too small"),
    (["grammar", "--train", "300000", "--out", "{tmp}/g"], "allowed: count <= P_max"),
    (["grammar", "--grammar", "{tmp}/missing.json"], "cannot read grammar file"),
    (["grammar", "--grammar", "{tmp}/bad.toml"], "grammar JSON is malformed"),
    (["grammar", "--zipf-a", "-3", "--zipf-levels", "1", "--out", "{tmp}/g"],
     "zipf_a=-3.0 must be > -1"),
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad")
    _files(tmp)
    return tmp


@pytest.fixture(autouse=True)
def nothing_runs(monkeypatch):
    """A case that reached training, or launched runs, fails the test instead of running; the
    machine has 16 GiB free (so that the memory cases are the same everywhere)."""
    def refuse(*args, **kwargs):
        raise AssertionError("a bad input reached training")

    monkeypatch.setattr(runner, "train", refuse)
    for name in list(executors.EXECUTORS):
        monkeypatch.setitem(executors.EXECUTORS, name, refuse)
    monkeypatch.setattr(files, "available_memory", lambda: 16 * 2**30)


@pytest.mark.parametrize("argv, fragment", CASES, ids=[" ".join(a[-2:]) for a, _ in CASES])
def test_a_bad_input_is_one_line_naming_it(folder, capsys, argv, fragment):
    argv = [a.replace("{tmp}", str(folder)) for a in argv]
    assert main(argv) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("slopscope: error: "), captured.err
    assert fragment.replace("{tmp}", str(folder)) in lines[0]
