"""Small hand-built records and candidates shared by family E's unit tests."""
import json
from pathlib import Path


def record(text="I missed you today.", valence=0.5, intimacy=0.6, tension=0.2, confidence=0.9, tags=("affection",),
           source="manual_chat", **extra):
    return {"text": text, "valence": valence, "intimacy": intimacy, "tension": tension, "confidence": confidence,
            "tags": list(tags), "source": source, "session_id": "s1", **extra}


def write_jsonl(path: Path, rows) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
