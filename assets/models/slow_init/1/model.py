"""slow_init: sleeps `init_delay_s` (a config parameter) in initialize, then echoes INPUT0."""

import json
import time

import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        delay = config.get("parameters", {}).get("init_delay_s", {}).get("string_value", "3")
        time.sleep(float(delay))

    def execute(self, requests):
        responses = []
        for request in requests:
            x = pb_utils.get_input_tensor_by_name(request, "INPUT0").as_numpy()
            responses.append(
                pb_utils.InferenceResponse(output_tensors=[pb_utils.Tensor("OUTPUT0", x.copy())])
            )
        return responses
