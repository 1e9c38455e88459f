"""One measurement in a fresh process: ``worker.py TASK JSON-KWARGS``; prints its record as JSON.

Run by ``compare.py``; each task lives in the module that defines its result record.
"""
from __future__ import annotations

import json
import sys
import warnings

from common import emit


def main(argv: list[str]) -> int:
    import latency
    import live
    import profile_stream
    import systems

    tasks = {
        "accuracy": systems.accuracy,
        "latency": latency.measure,
        "engine_cpu": live.engine_cpu,
        "long_stream": live.long_stream,
        "profile": profile_stream.profile,
        "import_cost": systems.import_cost,
    }
    task, kwargs = argv[0], json.loads(argv[1])
    warnings.simplefilter("ignore", DeprecationWarning)  # torch.ao.quantization announces its move
    emit(tasks[task](**kwargs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
