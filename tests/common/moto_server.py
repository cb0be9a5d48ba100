"""moto_server with what moto 5.2.5's CloudFormation drops from the bootstrap stack.

1. moto's DB instance answers Fn::GetAtt only for Endpoint.Address and Endpoint.Port, and its
CloudFormation parser ignores ManageMasterUserPassword. AWS answers
`Fn::GetAtt [Database, MasterUserSecret.SecretArn]` with the ARN of the secret RDS manages, and
the bootstrap template wires that ARN into the task definition's secrets. Without it moto
rejects the whole template, so the harness adds the attribute: the instance's managed secret
when moto made one, else an ARN in the shape RDS gives (`rds!db-<id>`).
2. moto's AWS::RDS::DBInstance handler reads the security groups from `VpcSecurityGroupIds`,
a property CloudFormation does not have; the template says `VPCSecurityGroups`, as AWS
documents it. The harness passes them on under moto's name. It also defaults Port to
3306 whatever the engine (AWS uses the engine's port, 5432 for postgres) and drops
DeletionProtection: the harness gives the engine's port and keeps the protection.
3. moto's AWS::ECS::Service handler ignores LoadBalancers, NetworkConfiguration and
LaunchType (`# TODO: LoadBalancers` in moto/ecs/models.py), so a service made by a stack
has no wires for discovery to follow. The harness copies them onto the service in the
shape CreateService would have stored.
4. moto's CloudFormation has no AWS::IAM::OIDCProvider: it skips the resource with a warning,
so a stack that declares GitHub's OIDC provider completes without one in IAM. The harness
adds the type: it calls the same IAM backend as CreateOpenIDConnectProvider, answers Ref
and Fn::GetAtt Arn with the provider's ARN, and deletes it with the stack.
5. moto's ExecuteChangeSet applies the resources but keeps the stack's outputs as they were
(none for a stack a CREATE change set made). AWS evaluates the new template's outputs; the
harness does too, once the change set is applied.
6. moto's CloudFront origins drop OriginAccessControlId; the harness keeps it.

Nothing else of moto changes. Run with the interpreter of the moto_server script, with
moto_server's arguments.
"""

import sys

from moto.ecs.models import Service
from moto.rds.models import DBInstance

SECRET_ARN = "MasterUserSecret.SecretArn"
# moto's Fn::Sub splits `${Database.MasterUserSecret.SecretArn}` at every dot and asks for
# the attribute `MasterUserSecret`: the same attribute, so it gets the same answer.
SECRET_ATTRIBUTES = (SECRET_ARN, "MasterUserSecret")
_has_cfn_attr = DBInstance.has_cfn_attr.__func__
_get_cfn_attribute = DBInstance.get_cfn_attribute


def has_cfn_attr(cls, attr):
    return attr in SECRET_ATTRIBUTES or _has_cfn_attr(cls, attr)


def get_cfn_attribute(self, attribute_name):
    if attribute_name not in SECRET_ATTRIBUTES:
        return _get_cfn_attribute(self, attribute_name)
    managed = getattr(self, "master_user_secret", None)
    if managed is not None:
        return managed.secret.arn
    return (
        f"arn:aws:secretsmanager:{self.region}:{self.account_id}:secret:"
        f"rds!db-{self.db_instance_identifier}-AbCdEf"
    )


DBInstance.has_cfn_attr = classmethod(has_cfn_attr)
DBInstance.get_cfn_attribute = get_cfn_attribute

_create_db = DBInstance.create_from_cloudformation_json.__func__


def create_db(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    properties = cloudformation_json.get("Properties", {})
    if "VPCSecurityGroups" in properties and "VpcSecurityGroupIds" not in properties:
        properties["VpcSecurityGroupIds"] = properties["VPCSecurityGroups"]
    if "Port" not in properties and properties.get("Engine"):
        properties["Port"] = DBInstance.default_port(properties["Engine"])
    db = _create_db(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)
    db.deletion_protection = bool(properties.get("DeletionProtection", False))
    return db


DBInstance.create_from_cloudformation_json = classmethod(create_db)

_create_service = Service.create_from_cloudformation_json.__func__


def create_service(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    service = _create_service(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    )
    properties = cloudformation_json["Properties"]
    service.load_balancers = [
        {
            "containerName": lb.get("ContainerName"),
            "containerPort": lb.get("ContainerPort"),
            "targetGroupArn": lb.get("TargetGroupArn"),
        }
        for lb in properties.get("LoadBalancers", [])
    ]
    awsvpc = properties.get("NetworkConfiguration", {}).get("AwsvpcConfiguration")
    if awsvpc:
        service.network_configuration = {
            "awsvpcConfiguration": {
                "subnets": awsvpc.get("Subnets", []),
                "securityGroups": awsvpc.get("SecurityGroups", []),
                "assignPublicIp": awsvpc.get("AssignPublicIp", "DISABLED"),
            }
        }
    if properties.get("LaunchType"):
        service.launch_type = properties["LaunchType"]
    return service


Service.create_from_cloudformation_json = classmethod(create_service)


from moto.core.common_models import CloudFormationModel
from moto.iam.models import iam_backends
from moto.utilities.utils import get_partition


class OIDCProvider(CloudFormationModel):
    # moto files every model under the service its module names.
    __module__ = "moto.iam.models"

    def __init__(self, arn, account_id, region_name):
        self.arn = arn
        self.account_id = account_id
        self.region_name = region_name

    @staticmethod
    def cloudformation_name_type():
        return ""

    @staticmethod
    def cloudformation_type():
        return "AWS::IAM::OIDCProvider"

    @property
    def physical_resource_id(self):
        return self.arn

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name):
        return self.arn

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        properties = cloudformation_json.get("Properties", {})
        backend = iam_backends[account_id][get_partition(region_name)]
        provider = backend.create_open_id_connect_provider(
            properties["Url"],
            properties.get("ThumbprintList", []),
            properties.get("ClientIdList", []),
            properties.get("Tags", []),
        )
        return cls(provider.arn, account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
    ):
        return original_resource

    def delete(self, account_id, region_name):
        backend = iam_backends[account_id][get_partition(region_name)]
        backend.delete_open_id_connect_provider(self.arn)


from moto.cloudformation.models import CloudFormationBackend

_execute_change_set = CloudFormationBackend.execute_change_set


def execute_change_set(self, change_set_name, stack_name=None):
    _execute_change_set(self, change_set_name, stack_name)
    change_set = self.change_sets.get(change_set_name) or next(
        (c for c in self.change_sets.values() if c.change_set_name == change_set_name), None
    )
    if change_set is not None and change_set.stack_id in self.stacks:
        stack = self.stacks[change_set.stack_id]
        stack._parse_template()
        stack.output_map = stack._create_output_map()


CloudFormationBackend.execute_change_set = execute_change_set


# 6. moto's CloudFront Origin drops OriginAccessControlId, so every distribution it returns
# reads as one with no Origin Access Control. The harness keeps the id on the origin, where
# moto's serializer finds it by name.
from moto.cloudfront.models import Origin as CloudFrontOrigin

_origin_init = CloudFrontOrigin.__init__


def origin_init(self, origin):
    _origin_init(self, origin)
    self.origin_access_control_id = origin.get("OriginAccessControlId", "")


CloudFrontOrigin.__init__ = origin_init

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
