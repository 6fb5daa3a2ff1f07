"""API Gateway stage throttling: a flood of requests to the public slash-command URL
is refused by API Gateway (429) before it runs a Lambda or costs more than a request.

Reserved concurrency is in .chalice/config.json (`lambda_functions`), which both
`chalice deploy` and `chalice package` apply: a floor for `console_signin` that no
flood can take, and a ceiling for the API function.
"""

from __future__ import annotations

from typing import Any

ALL_METHODS = "/*/*"


def ensure_stage_throttling(
    apigateway: Any, rest_api_id: str, stage_name: str, rate: float, burst: int, changes: list[str]
) -> None:
    stage = apigateway.get_stage(restApiId=rest_api_id, stageName=stage_name)
    current = stage.get("methodSettings", {}).get(ALL_METHODS.lstrip("/"), {})
    if current.get("throttlingRateLimit") == rate and current.get("throttlingBurstLimit") == burst:
        return
    apigateway.update_stage(
        restApiId=rest_api_id,
        stageName=stage_name,
        patchOperations=[
            {"op": "replace", "path": f"{ALL_METHODS}/throttling/rateLimit", "value": f"{rate:g}"},
            {"op": "replace", "path": f"{ALL_METHODS}/throttling/burstLimit", "value": str(burst)},
        ],
    )
    changes.append(f"API stage {stage_name}: throttling {rate:g} requests/s, burst {burst}")
