#!/usr/bin/env python3
"""Re-key stored runs whose training-code digest was taken on another Python version.

Before ``store.source_digest`` made the digest the same on Python 3.11 to 3.13, a run trained
on a GPU machine's Python 3.12 was keyed with a different digest of the *same* code, so the
book (Python 3.11) could never find it. For each run file given, this checks that

1. the file's key is the one its own spec, data and recorded code digest give, and
2. the recorded digest is what ``--python`` (the interpreter that trained it, e.g. a 3.12)
   computes for the current training code with the old, version-dependent recipe,

then writes the run under the current key (recording the old digest as
``code_digest_as_trained``) and removes the old file. Anything that does not check out is
left as it is, with a one-line reason::

    python tools/rekey_runs.py --python /root/.pyenv/versions/3.12.1/bin/python data/runs/liu_fu_cnn/*.json
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The digest as store.py computed it before it was made version-independent (no numpy needed).
LEGACY_DIGEST = r'''
import ast, hashlib, json, sys
from pathlib import Path
def strip(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree
package = Path(sys.argv[1])
parts = {name: hashlib.sha256(ast.dump(strip(ast.parse((package / name).read_text())),
                                       include_attributes=False).encode()).hexdigest() for name in sys.argv[2:]}
print(hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest())
'''


def legacy_digest(python: str) -> str:
    from mnist_utils import store
    out = subprocess.run([python, "-c", LEGACY_DIGEST, str(ROOT / "mnist_utils"), *store.TRAINING_CODE],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", required=True, help="the Python version the runs were trained with")
    parser.add_argument("runs", nargs="+", type=Path)
    args = parser.parse_args(argv)

    from mnist_utils import data, store
    from mnist_utils.files import write_atomically

    old_code, new_code = legacy_digest(args.python), store.code_digest()
    print(f"training code: {old_code[:16]}… under {args.python}, {new_code[:16]}… now")
    mnist = data.load()
    moved = 0
    for path in args.runs:
        run = store.decode(path.read_text(), path)
        spec, record = run.spec, run.record
        fingerprint = store.data_fingerprint(mnist, train_size=spec["n_train"], eval_size=spec["n_test"])
        as_trained = store.run_key(spec, fingerprint, code=record.get("code_digest"), backend_name=record.get("backend"))
        if record.get("code_digest") == new_code:
            print(f"{path}: already keyed with the current digest")
        elif run.key != as_trained:
            print(f"{path}: its key does not follow from its spec, data and recorded digest; left as it is")
        elif record.get("code_digest") != old_code:
            print(f"{path}: trained with other code ({str(record.get('code_digest'))[:16]}…); left as it is")
        else:
            key = store.run_key(spec, fingerprint, code=new_code, backend_name=record["backend"])
            rekeyed = store.StoredRun(key, spec, {**record, "code_digest": new_code, "code_digest_as_trained": old_code},
                                      run.rows, run.arrays)
            target = path.parent / f"{key[:16]}.json"
            write_atomically(target, store.encode(rekeyed), durable=True)
            path.unlink()
            moved += 1
            print(f"{path.name} -> {target.name}")
    print(f"{moved} of {len(args.runs)} runs re-keyed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
