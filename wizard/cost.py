"""What a run will cost: the networks it trains (as the process counts them) and a rough CPU
time from measured throughput and the networks' published GFLOPs. No Qt."""
from __future__ import annotations

from dataclasses import dataclass

from atlass_runtime import RunConfig

# Measured here (benchmarks/results/transfer.md): training EfficientNet-Lite0 at 128 px ran at
# about 32 images a second on a 2-core CPU, i.e. about 13 GFLOP/s with a backward pass costing
# twice the forward one. A GPU was not measured yet.
CPU_GFLOPS = 13.0


@dataclass(frozen=True)
class Cost:
    """How many networks a run trains (each for `epochs` epochs), fewest to most, and why; with
    a rough CPU time when the number of training images is known."""
    fewest: int
    most: int
    epochs: int
    how: str
    cpu_seconds: tuple[float, float] | None = None

    def text(self) -> str:
        count = (f"{self.most} network{'s' if self.most != 1 else ''}" if self.fewest == self.most
                 else f"between {self.fewest} and {self.most} networks")
        each = (f"each for {self.epochs} epochs (plus a short learning-rate search)" if self.epochs
                else "each only fitting its last layer (seconds)")
        text = f"{self.how}: {count} in all, {each}."
        if self.cpu_seconds is not None:
            low, high = (_duration(s) for s in self.cpu_seconds)
            text += (f" On a 2-core laptop CPU roughly {low if low == high else f'{low} to {high}'}; a GPU "
                     "(Colab's) is many times faster (not measured by this project yet).")
        return text


def _duration(seconds: float) -> str:
    if seconds < 90:
        return "a minute"
    if seconds < 5400:
        return f"{round(seconds / 60)} minutes"
    return f"{seconds / 3600:.1f} hours"


def seconds_per_model(network: str, config: RunConfig, images: int) -> float:
    """A rough CPU time to train one network on `images` images (forward + backward = 3 forward)."""
    from atlass_runtime.networks import network_info

    info = network_info(network)
    per_image = (info.gflops if info else 4.0) * (config.image_size / 224) ** 2
    passes = 3 * (config.epochs_frozen + config.epochs_unfrozen) + 1 + (3 if config.epochs_unfrozen else 0)
    return images * per_image * passes / CPU_GFLOPS


def training_cost(config: RunConfig) -> Cost:
    """Networks trained, as the process counts them (`Process.models_trained`)."""
    m, rounds = len(config.networks), config.max_rounds
    fewest, most = config.process_info.models_trained(m, rounds)
    return Cost(fewest, most, config.epochs_frozen + config.epochs_unfrozen,
                config.process_info.training_plan(m, rounds))
