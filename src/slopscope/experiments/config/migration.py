"""Saved configurations (config.json of older runs) in today's keys. User files are never
migrated: an old key there is an unknown-key error listing the keys allowed today (the sampler
options moved to `measure.sampler`, the chain length is `diffusion.options.chain_length`)."""

from __future__ import annotations

import json


def migrate(data: dict) -> dict:
    """A saved configuration in today's keys: measure.batch_size (unused) is dropped; masked:
    measure.sample_steps, else diffusion.options.steps -> measure.sampler.sampler_steps (the old
    runner passed sample_steps, None too, to the masked sampler); uniform and gaussian:
    diffusion.options.steps -> chain_length (sample_steps did not reach their samplers)."""
    data = json.loads(json.dumps(data))  # deep copy of plain data
    measure, diffusion = data.get("measure", {}), data.get("diffusion", {})
    if not isinstance(measure, dict) or not isinstance(diffusion, dict):
        return data  # build() names the bad section
    masked = diffusion.get("family", "masked") == "masked"
    options = diffusion.get("options") if isinstance(diffusion.get("options"), dict) else {}
    measure.pop("batch_size", None)
    steps = options.pop("steps", None) if masked else None
    if "sample_steps" in measure:
        old = measure.pop("sample_steps")
        steps = old if masked else None
    if steps is not None and isinstance(measure.get("sampler", {}), dict):
        data["measure"] = {**measure, "sampler": {"sampler_steps": steps,
                                                  **measure.get("sampler", {})}}
    if "steps" in options:
        options["chain_length"] = options.pop("steps")
    return data
