"""`atlass demo`: the main job on the bundled sample, start to end, in a few minutes on a CPU."""
from __future__ import annotations

from pathlib import Path


def register(subparsers) -> None:
    demo = subparsers.add_parser("demo", help="generate the sample dataset and run the main job on it")
    demo.add_argument("--output", default="demo_output", help="folder for everything (default: %(default)s)")
    demo.set_defaults(handler=run_demo)


def run_demo(args) -> int:
    from atlass_runtime import RunConfig, run_workflow
    from atlass_runtime.logging_setup import print_line

    from .sample_cells import write_sample

    output = Path(args.output)
    dataset = write_sample(output / "sample_cells")
    config = RunConfig(process="IDD", networks=["ResNet18"], transforms=["H Flip", "V Flip", "Gamma"],
                       image_size=64, batch_size=16, epochs_frozen=2, epochs_unfrozen=10, max_rounds=3,
                       pretrained=False, dataset_dir=str(dataset), output_dir=str(output / "run"))
    result = run_workflow(config, log=print_line)
    print_line(f"Done. Results: {result.results_path}; model: {result.model_dir}")
    return 0
