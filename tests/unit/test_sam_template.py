"""deploy/template.yaml: least-privilege IAM, the canary and its alarms, and serving settings
that name real ``PREDICTOR_*`` variables (cfn-lint checks the rest in ``make lint``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import cfn_yaml

from predictor.config import ENV_PREFIX, GROUPS, load_settings

TEMPLATE_PATH = Path(__file__).parents[2] / "deploy" / "template.yaml"
TEMPLATE: dict[str, Any] = cfn_yaml.load(str(TEMPLATE_PATH))
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
SERVING = ("ZipFunction", "ImageFunction")
# The only actions AWS takes no resource ARN for, each with the reason the template gives.
STAR_RESOURCE_ACTIONS = {"cloudwatch:PutMetricData"}
# An intrinsic's value at deploy time: an ARN (the secret's and the topic's are ARNs there).
RESOLVED = "arn:aws:sns:us-east-1:123456789012:resolved"


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements() -> Iterator[tuple[str, dict[str, Any]]]:
    for name, resource in RESOURCES.items():
        properties = resource.get("Properties", {})
        documents = [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
        documents += [
            properties[key] for key in ("PolicyDocument", "AssumeRolePolicyDocument") if key in properties
        ]
        for document in documents:
            for statement in document["Statement"]:
                yield name, statement


def role_statement(sid: str) -> dict[str, Any]:
    (found,) = [statement for _, statement in statements() if statement.get("Sid") == sid]
    return found


def test_no_action_is_a_wildcard() -> None:
    for name, statement in statements():
        for action in _listed(statement["Action"]):
            assert "*" not in action, (name, statement)


def test_a_star_resource_only_where_aws_requires_one_and_it_says_why() -> None:
    text = TEMPLATE_PATH.read_text()
    for name, statement in statements():
        if "*" not in _listed(statement.get("Resource", [])):
            continue
        assert set(_listed(statement["Action"])) <= STAR_RESOURCE_ACTIONS, (name, statement)
        assert "NeedsStar" in statement["Sid"], statement
        above = text[: text.index(f"- Sid: {statement['Sid']}")].rstrip().splitlines()
        comment = " ".join(line.strip() for line in above[-3:] if line.strip().startswith("#"))
        assert "requires" in comment, f"{statement['Sid']} has no comment saying why"


def test_the_model_bucket_is_listed_only_under_the_model_prefix() -> None:
    listing = role_statement("ListModelPrefixOnly")
    assert listing["Action"] == "s3:ListBucket"
    assert "s3:prefix" in listing["Condition"]["StringLike"]
    assert role_statement("ReadModelPrefixOnly")["Resource"] == {
        "Fn::Sub": "${ModelBucket.Arn}/${ModelPrefix}/*"
    }


def test_metrics_secret_and_topic_are_pinned_to_ours() -> None:
    metrics = role_statement("PutMetricDataNeedsStarResourceNamespacePinned")
    assert metrics["Condition"]["StringEquals"]["cloudwatch:namespace"] == {"Ref": "MetricsNamespace"}
    assert role_statement("PublishToAlertTopicOnly")["Resource"] == {"Ref": "AlertTopic"}
    assert all(
        statement["Resource"] == {"Ref": "ApiKeysSecret"}
        for _, statement in statements()
        if "secretsmanager:GetSecretValue" in _listed(statement["Action"])
    )


def test_the_bucket_is_encrypted_private_and_versioned() -> None:
    bucket = RESOURCES["ModelBucket"]["Properties"]
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert bucket["VersioningConfiguration"]["Status"] == "Enabled"


@pytest.mark.parametrize("function", SERVING)
def test_each_package_type_deploys_as_a_canary_the_alarms_roll_back(function: str) -> None:
    properties = RESOURCES[function]["Properties"]
    preference = properties["DeploymentPreference"]
    assert properties["AutoPublishAlias"] == "live"
    assert preference["Type"] == "Canary10Percent5Minutes"
    assert preference["Alarms"] == [{"Ref": "Api5xxRateAlarm"}, {"Ref": "ApiLatencyP99Alarm"}]
    assert preference["Hooks"]["PreTraffic"] == {"Ref": "PreTrafficHook"}
    assert "ReservedConcurrentExecutions" in properties
    assert RESOURCES["ApiLatencyP99Alarm"]["Properties"]["ExtendedStatistic"] == "p99"


@pytest.mark.parametrize("function", SERVING)
def test_the_environment_names_settings_the_code_reads(function: str) -> None:
    variables: dict[str, Any] = RESOURCES[function]["Properties"]["Environment"]["Variables"]
    fields = {"profile"} | {field for group in GROUPS.values() for field in group.model_fields}
    names = {name.removeprefix(ENV_PREFIX).lower() for name in variables}
    assert all(name.startswith(ENV_PREFIX) for name in variables)
    assert names <= fields, names - fields
    # Intrinsics (a secret's ARN, a topic's) resolve at deploy time: a stand-in value here.
    values = {
        name.removeprefix(ENV_PREFIX).lower(): value if isinstance(value, str) else RESOLVED
        for name, value in variables.items()
    }
    load_settings(**values)  # each value is one the settings accept


def test_the_api_sends_traffic_to_the_alias_the_canary_moves() -> None:
    to_alias = {"Fn::If": ["IsZip", {"Ref": "ZipFunction.Alias"}, {"Ref": "ImageFunction.Alias"}]}
    assert RESOURCES["ApiIntegration"]["Properties"]["IntegrationUri"] == to_alias
    assert RESOURCES["ApiInvokePermission"]["Properties"]["FunctionName"] == to_alias
    assert RESOURCES["HttpApi"]["Properties"]["DefaultRouteSettings"]["ThrottlingRateLimit"]


def test_the_keys_rotate_on_a_schedule_with_the_shipped_function_touching_only_that_secret() -> None:
    schedule = RESOURCES["ApiKeysRotation"]["Properties"]
    assert schedule["SecretId"] == {"Ref": "ApiKeysSecret"}
    assert schedule["RotationLambdaARN"] == {"Fn::GetAtt": ["KeysRotationFunction", "Arn"]}
    assert schedule["RotationRules"]["AutomaticallyAfterDays"] == {"Ref": "KeysRotationDays"}
    function = RESOURCES["KeysRotationFunction"]["Properties"]
    assert (TEMPLATE_PATH.parent / function["CodeUri"] / "rotate_keys.py").is_file()
    assert function["Handler"] == "rotate_keys.handler"
    rotating = role_statement("RotateApiKeysSecretOnly")
    assert rotating["Resource"] == {"Ref": "ApiKeysSecret"}
    assert all(action.startswith("secretsmanager:") for action in rotating["Action"])
    permission = RESOURCES["KeysRotationPermission"]["Properties"]
    assert permission["Principal"] == "secretsmanager.amazonaws.com"
