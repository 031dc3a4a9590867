"""Exports a pushed model again with this checkout's serving code (same weights, same answers).

    python -m bench.scale.reexport --model-dir <trainer Model folder> \\
        --saved-model <its pushed SavedModel> --out <serving base>/<version>

so a serving benchmark of a size-L model measures today's serving graph without repeating the
hours of its pipeline run. The model is rebuilt from the Model folder (`warm_start/`
configuration, `model_card.json` mutes); every variable, serving tables included, is then
restored from the SavedModel, whose `ServingModule` tracks `model.variables` in order (each
shape is checked; a mismatch is an error, never a silent partial restore).
"""

import argparse
import json
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # TFRS needs Keras 2 (before TF loads)

import numpy as np  # noqa: E402


def _lines(path):
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip()]


def _rebuilt(model_dir: str):
    """The trained model with the variables (metrics, serving tables) its export held."""
    import tensorflow as tf

    from components.trainer.model_store import load_model_state
    from rec_model.agents.base import FactorAgent

    model, _, _ = load_model_state(model_dir, every_weight=False)  # see `derived` below
    model.set_stage("gate")
    model.set_stage("pairs")  # both stages' metrics exist, with the flags of the last stage
    for agent in model.agents:
        if isinstance(agent, FactorAgent) and agent.gradient_trained:
            width = agent.item_vectors(tf.constant([0])).shape[-1]  # `finalize`'s table
            agent.set_serving_items(np.zeros((model.num_items, width), np.float32))
    return model


def reexport(model_dir: str, saved_model: str, out: str) -> str:
    import tensorflow as tf

    from components.trainer.export import (ITEM_VOCAB_FILE, USER_VOCAB_FILE,
                                           export_serving_model)

    model = _rebuilt(model_dir)
    reader = tf.train.load_checkpoint(os.path.join(saved_model, "variables", "variables"))
    saved = sum(1 for k in reader.get_variable_to_shape_map() if k.startswith("model_vari"))
    variables = model.variables
    # A model exported before the content agent kept its cold rows apart lacks them; they
    # are derived again below.
    derived = [a.cold_vectors for a in model.agents if hasattr(a, "cold_vectors")]
    if saved == len(variables) - len(derived):
        variables = [v for v in variables if not any(v is d for d in derived)]
    if saved != len(variables):
        raise ValueError(f"{saved_model} holds {saved} model variables, the model rebuilt from "
                         f"{model_dir} {len(model.variables)}")
    for index, variable in enumerate(variables):
        value = reader.get_tensor(f"model_variables/{index}/.ATTRIBUTES/VARIABLE_VALUE")
        if not variable.shape.is_compatible_with(value.shape):
            raise ValueError(f"variable {index} ({variable.name}): {variable.shape} rebuilt, "
                             f"{value.shape} saved")
        variable.assign(value)
    for agent in model.agents:
        agent.restored()
    with open(os.path.join(model_dir, "model_card.json"), encoding="utf-8") as f:
        gate = json.load(f)["gate"]
    model.mute([n for n in model.agent_names if gate.get(f"muted:{n}") == 1.0],
               retrieval=gate.get("muted_retrieval") == 1.0)
    assets = os.path.join(saved_model, "assets")
    return export_serving_model(model, _lines(os.path.join(assets, USER_VOCAB_FILE)),
                                _lines(os.path.join(assets, ITEM_VOCAB_FILE)), out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", required=True, help="the trainer's Model folder")
    parser.add_argument("--saved-model", required=True, help="its pushed SavedModel version")
    parser.add_argument("--out", required=True, help="new SavedModel folder (<base>/<version>)")
    args = parser.parse_args(argv)
    print(reexport(args.model_dir, args.saved_model, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
