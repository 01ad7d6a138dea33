"""A python-based Triton backend named "onnxruntime" for the embedded CPU server.

Triton loads `<backend-dir>/onnxruntime/model.py` for every model whose config says
`backend: "onnxruntime"` when no native onnxruntime backend is installed, so configs written for
Triton's real ONNX Runtime backend load unchanged. It runs `<version>/model.onnx` (or the config's
default_model_filename) with the onnxruntime package: a KIND_GPU instance on its GPU through the
CUDA execution provider when onnxruntime has it (the `onnxruntime-gpu` package, triton-tui[gpu]),
anything else on the CPU; each instance logs the provider it runs on and, when that is not the
one asked for, why. It honours the config's inputs, outputs and max_batch_size (requests gathered
by the dynamic batcher run as one batch), and fills a missing config from the ONNX file
(auto_complete_config), as Triton's ONNX autocomplete does. Its threads do not spin while idle
(see NO_SPIN); `session.*` config parameters become onnxruntime session config entries.
Only the embedded server uses this file; a real Triton install keeps its own backend.
"""

import json
import os
from pathlib import Path

import numpy as np
import triton_python_backend_utils as pb_utils

DEFAULT_MAX_BATCH_SIZE = 4
_ORT_TYPES = {
    "tensor(float)": "TYPE_FP32",
    "tensor(double)": "TYPE_FP64",
    "tensor(float16)": "TYPE_FP16",
    "tensor(int8)": "TYPE_INT8",
    "tensor(int16)": "TYPE_INT16",
    "tensor(int32)": "TYPE_INT32",
    "tensor(int64)": "TYPE_INT64",
    "tensor(uint8)": "TYPE_UINT8",
    "tensor(uint16)": "TYPE_UINT16",
    "tensor(uint32)": "TYPE_UINT32",
    "tensor(uint64)": "TYPE_UINT64",
    "tensor(bool)": "TYPE_BOOL",
    "tensor(string)": "TYPE_STRING",
}


def _version_dir_from_cmdline(name: str) -> Path | None:
    """The stub is started as `stub <repo>/<model>/<version>/model.py ...`."""
    try:
        argv = Path("/proc/self/cmdline").read_bytes().split(b"\0")
        path = Path(argv[1].decode())
        if path.parent.parent.name == name:
            return path.parent
    except (OSError, IndexError, UnicodeDecodeError):
        pass
    return None


def _version_dir_from_env(name: str) -> Path | None:
    for repo in os.environ.get("TRITON_TUI_REPOSITORIES", "").split(os.pathsep):
        model_dir = Path(repo) / name
        versions = [p for p in model_dir.glob("*") if p.is_dir() and p.name.isdigit()]
        if versions:
            return max(versions, key=lambda p: int(p.name))
    return None


def _onnx_file(version_dir: Path, config: dict) -> Path:
    return version_dir / (config.get("default_model_filename") or "model.onnx")


CPU_EP, CUDA_EP = "CPUExecutionProvider", "CUDAExecutionProvider"
NO_CUDA = "KIND_GPU requested but onnxruntime has no CUDAExecutionProvider: install triton-tui[gpu]"


def choose_providers(kind: str, device_id: int, available: list[str]) -> tuple[list, str]:
    """The execution providers for an instance of `kind` ("CPU", "GPU" or "MODEL", as Triton
    passes args["model_instance_kind"]) on `device_id`, given onnxruntime's available providers;
    and why, in one line, when a GPU instance must run on the CPU."""
    if kind != "GPU":
        return [CPU_EP], ""
    if CUDA_EP not in available:
        return [CPU_EP], NO_CUDA
    return [(CUDA_EP, {"device_id": device_id}), CPU_EP], ""


def provider_line(instance: str, providers: list, active: list[str], reason: str) -> str:
    """What an instance says in the server log: the provider it really runs on, and why not the
    one asked for (onnxruntime falls back to the CPU when CUDA's libraries fail to load)."""
    wanted = providers[0][0] if isinstance(providers[0], tuple) else providers[0]
    got = active[0] if active else "no provider"
    where = f" on GPU {providers[0][1]['device_id']}" if got == CUDA_EP == wanted else ""
    if got != wanted:
        reason = f"{wanted} failed to start (see onnxruntime's messages above)"
    return f"{instance}: onnxruntime runs on {got}{where}" + (f" ({reason})" if reason else "")


# onnxruntime's idle threads spin by default. Here they share the cores with the server's own
# threads and its clients, which then wait for a core: on 2 CPUs DenseNet's latency at
# concurrency 1 was 1.97x a bare session's with spinning, 1.23x without (`just bench-densenet`).
# A config parameter with the same key and "1" turns it back on.
NO_SPIN = {"session.intra_op.allow_spinning": "0", "session.inter_op.allow_spinning": "0"}


def session_entries(params: dict) -> dict[str, str]:
    """onnxruntime session config entries: ours (NO_SPIN), then the config's `session.*`
    parameters, which win."""
    given = {k: v.get("string_value", "") for k, v in params.items() if k.startswith("session.")}
    return {**NO_SPIN, **given}


def _session(path: Path, config: dict | None = None, providers: list | None = None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    params = (config or {}).get("parameters", {})
    for key, attr in (
        ("intra_op_thread_count", "intra_op_num_threads"),
        ("inter_op_thread_count", "inter_op_num_threads"),
    ):
        value = params.get(key, {}).get("string_value")
        if value:
            setattr(options, attr, int(value))
    for key, value in session_entries(params).items():
        options.add_session_config_entry(key, value)
    return ort.InferenceSession(str(path), options, providers=providers or [CPU_EP])


def _dims(shape) -> list[int]:
    return [d if isinstance(d, int) and d > 0 else -1 for d in shape]


class TritonPythonModel:
    @staticmethod
    def auto_complete_config(auto_complete_model_config):
        config = auto_complete_model_config.as_dict()
        name = config["name"]
        version_dir = _version_dir_from_cmdline(name) or _version_dir_from_env(name)
        if version_dir is None or config["input"] or config["output"]:
            return auto_complete_model_config
        path = _onnx_file(version_dir, config)
        if not path.is_file():
            raise pb_utils.TritonModelException(f"unable to find '{path}' to autocomplete")
        session = _session(path)
        tensors = [("input", t) for t in session.get_inputs()]
        tensors += [("output", t) for t in session.get_outputs()]
        batching = config["max_batch_size"] == 0 and all(
            t.shape and _dims(t.shape)[0] == -1 for _, t in tensors
        )
        if batching:
            auto_complete_model_config.set_max_batch_size(DEFAULT_MAX_BATCH_SIZE)
            auto_complete_model_config.set_dynamic_batching()
        for kind, t in tensors:
            entry = {
                "name": t.name,
                "data_type": _ORT_TYPES.get(t.type, "TYPE_FP32"),
                "dims": _dims(t.shape)[1:] if batching else _dims(t.shape),
            }
            if kind == "input":
                auto_complete_model_config.add_input(entry)
            else:
                auto_complete_model_config.add_output(entry)
        return auto_complete_model_config

    def initialize(self, args):
        self.config = json.loads(args["model_config"])
        version_dir = Path(args["model_repository"]) / args["model_version"]
        path = _onnx_file(version_dir, self.config)
        if not path.is_file():
            raise pb_utils.TritonModelException(f"model file not found: {path}")
        import onnxruntime as ort

        kind = args.get("model_instance_kind", "CPU")
        device_id = int(args.get("model_instance_device_id") or 0)
        providers, reason = choose_providers(kind, device_id, ort.get_available_providers())
        if providers[0] != CPU_EP and hasattr(ort, "preload_dlls"):
            ort.preload_dlls()  # CUDA and cuDNN from the nvidia-* pip packages, when there
        self.session = _session(path, self.config, providers)
        line = provider_line(
            args.get("model_instance_name", self.config.get("name", "")),
            providers,
            self.session.get_providers(),
            reason,
        )
        pb_utils.Logger.log_info(line)
        self.batching = self.config.get("max_batch_size", 0) > 0
        self.inputs = [t["name"] for t in self.config["input"]]
        self.outputs = [
            (t["name"], pb_utils.triton_string_to_numpy(t["data_type"]))
            for t in self.config["output"]
        ]
        known_in = {t.name for t in self.session.get_inputs()}
        known_out = {t.name for t in self.session.get_outputs()}
        missing = [n for n in self.inputs if n not in known_in]
        missing += [n for n, _ in self.outputs if n not in known_out]
        if missing:
            raise pb_utils.TritonModelException(
                f"config names tensors the ONNX model does not have: {', '.join(missing)} "
                f"(model inputs: {sorted(known_in)}, outputs: {sorted(known_out)})"
            )

    def _run(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        names = [n for n, _ in self.outputs]
        results = self.session.run(names, feeds)
        return [
            r.astype(dtype, copy=False) for r, (_, dtype) in zip(results, self.outputs, strict=True)
        ]

    def _feeds(self, request) -> dict[str, np.ndarray]:
        feeds = {}
        for name in self.inputs:
            tensor = pb_utils.get_input_tensor_by_name(request, name)
            if tensor is not None:
                feeds[name] = tensor.as_numpy()
        return feeds

    def _response(self, arrays: list[np.ndarray]):
        tensors = [pb_utils.Tensor(n, a) for (n, _), a in zip(self.outputs, arrays, strict=True)]
        return pb_utils.InferenceResponse(output_tensors=tensors)

    def execute(self, requests):
        feeds = [self._feeds(r) for r in requests]
        if self.batching and len(requests) > 1:
            try:
                merged = {n: np.concatenate([f[n] for f in feeds]) for n in feeds[0]}
                sizes = np.cumsum([len(next(iter(f.values()))) for f in feeds])[:-1]
                results = self._run(merged)
                split = [np.split(r, sizes) for r in results]
                return [self._response([s[i] for s in split]) for i in range(len(requests))]
            except Exception:  # noqa: BLE001 - fall back to one run per request
                pass
        responses = []
        for f in feeds:
            try:
                responses.append(self._response(self._run(f)))
            except Exception as exc:  # noqa: BLE001 - the error goes back to the client
                responses.append(pb_utils.InferenceResponse(error=pb_utils.TritonError(str(exc))))
        return responses
