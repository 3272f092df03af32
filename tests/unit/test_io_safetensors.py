"""safetensors files written with metadata are byte-identical from one process to the next."""
import subprocess
import sys

from safetensors import safe_open

SCRIPT = """
import sys, torch
from safetensors.torch import save
from affectlab.io import write_safetensors_atomic
meta = {"heads": "[1]", "pooling": "p", "labels.emotion": "[]", "labels.strategy": "[]", "z": "1", "a": "2"}
write_safetensors_atomic(save({"b.weight": torch.arange(6.).reshape(2, 3), "a.bias": torch.ones(3)}, metadata=meta),
                         sys.argv[1])
"""


def test_the_same_tensors_and_metadata_give_the_same_bytes_in_every_process(tmp_path):
    # safetensors keeps metadata in a Rust HashMap (its order is random per process): 6 keys, 4 processes
    files = [tmp_path / f"{i}.safetensors" for i in range(4)]
    for f in files:
        subprocess.run([sys.executable, "-c", SCRIPT, str(f)], check=True)
    assert len({f.read_bytes() for f in files}) == 1
    with safe_open(str(files[0]), "pt") as f:
        assert f.metadata()["labels.emotion"] == "[]" and sorted(f.keys()) == ["a.bias", "b.weight"]
        assert f.get_tensor("b.weight").tolist() == [[0, 1, 2], [3, 4, 5]]
