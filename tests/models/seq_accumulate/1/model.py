"""seq_accumulate: a stateful test model. Per correlation ID it keeps the running sum of INPUT
and the number of steps; a step of a sequence that was never started, or a START for a sequence
already open, is answered with an error, so a load generator that sends malformed or colliding
sequences sees failed requests. Every answer also reports the model's state: OPEN sequences
(started, not ended), DONE sequences (ended) and the LONGEST ended sequence, in steps.
A long idle timeout (60 s) keeps the server from closing sequences a client left open."""

import numpy as np
import triton_python_backend_utils as pb_utils


def _scalar(request, name):
    return pb_utils.get_input_tensor_by_name(request, name).as_numpy().reshape(-1)[0]


class TritonPythonModel:
    def initialize(self, args):
        self.open = {}  # correlation id -> [running sum, steps]
        self.done = 0
        self.longest = 0

    def _step(self, request):
        corrid = int(_scalar(request, "CORRID"))
        value = int(_scalar(request, "INPUT"))
        if _scalar(request, "START"):
            if corrid in self.open:
                raise ValueError(f"sequence {corrid} started while still open")
            self.open[corrid] = [0, 0]
        elif corrid not in self.open:
            raise ValueError(f"sequence {corrid}: a step without its START")
        state = self.open[corrid]
        state[0] += value
        state[1] += 1
        total = state[0]
        if _scalar(request, "END"):
            del self.open[corrid]
            self.done += 1
            self.longest = max(self.longest, state[1])
        return total

    def execute(self, requests):
        responses = []
        for request in requests:
            if not _scalar(request, "READY"):
                responses.append(pb_utils.InferenceResponse(output_tensors=[]))
                continue
            try:
                total = self._step(request)
            except ValueError as exc:
                responses.append(pb_utils.InferenceResponse(error=pb_utils.TritonError(str(exc))))
                continue
            outputs = [
                ("SUM", np.array([[total]], np.int32)),
                ("OPEN", np.array([[len(self.open)]], np.int32)),
                ("DONE", np.array([[self.done]], np.int64)),
                ("LONGEST", np.array([[self.longest]], np.int32)),
            ]
            responses.append(
                pb_utils.InferenceResponse(
                    output_tensors=[pb_utils.Tensor(n, a) for n, a in outputs]
                )
            )
        return responses
