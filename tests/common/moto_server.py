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

4. moto's CloudFormation has no AWS::CloudFront::OriginAccessControl, AWS::CloudFront::Distribution
or AWS::S3::BucketPolicy (it skips them with a warning, and a Ref to them fails), and its
AWS::S3::Bucket handler drops PublicAccessBlockConfiguration and OwnershipControls. The harness
adds the three types on moto's own CloudFront and S3 backends (the distribution's config is
turned from CloudFormation's shape into the API's, its origins keep their
OriginAccessControlId) and applies the two bucket settings.
5. moto's ExecuteChangeSet creates the resources but leaves the stack's outputs as they were
before (none for a new stack): the site's bucket and distribution are known from the outputs
only. The harness recomputes them from the change set's template once it is applied, as
ExecuteChangeSet does on AWS.
6. moto's CloudFormation has no AWS::IAM::OIDCProvider: it skips the resource with a warning,
so a stack that declares GitHub's OIDC provider completes without one in IAM. The harness
adds the type: it calls the same IAM backend as CreateOpenIDConnectProvider, answers Ref
and Fn::GetAtt Arn with the provider's ARN, and deletes it with the stack.
7. moto's CloudFront origins drop OriginAccessControlId for distributions made through the
API too; the harness keeps it.
8. moto answers ECS ListClusters, ListServices and ListTasks in one page whatever
maxResults says (`maxSize and pagination not implemented`), so a test cannot see opsdeck
page through a big account as it must on AWS (ListServices: 10 a page by default, at most
100; ListClusters and ListTasks: 100). Only when a test asks for it (POST /moto-api/config
with `{"opsdeck": {"page_ecs_lists": true}}`, see tests/common/scale.rs) the harness pages
them as AWS does, with an opaque nextToken; otherwise they stay one page, as the other
tests measured them.
9. moto's UpdateService keeps the service's one deployment as it was (its id and its old
task definition), so a deploy watch never finds the deployment of the revision it
deployed and can only time out. Only when a test asks for it (`{"opsdeck":
{"ecs_deployments": true}}`, see tests/faults_moto.rs) an UpdateService that changes the
task definition replaces it, as ECS does, with a new PRIMARY deployment of the new revision
(rollout COMPLETED at the counts moto reports); its tasks are the test's to start, with
startedBy set to the deployment's id, and to register with the target group.

Nothing else of moto changes. Run with the interpreter of the moto_server script, with
moto_server's arguments.
"""

import sys

import json

from moto.cloudfront.models import cloudfront_backends
from moto.cloudformation.models import ChangeSet
from moto.cloudformation.parsing import OutputMap
from moto.core.common_models import CloudFormationModel
from moto.ecs.models import Service
from moto.rds.models import DBInstance
from moto.s3.models import FakeBucket, s3_backends

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

_create_bucket = FakeBucket.create_from_cloudformation_json.__func__


def create_bucket(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
    bucket = _create_bucket(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    )
    properties = cloudformation_json.get("Properties", {})
    backend = s3_backends[account_id]["aws"]
    block = properties.get("PublicAccessBlockConfiguration")
    if block:
        backend.put_public_access_block(bucket.name, {k: str(v).lower() for k, v in block.items()})
    ownership = properties.get("OwnershipControls")
    if ownership:
        backend.put_bucket_ownership_controls(bucket.name, ownership)
    return bucket


FakeBucket.create_from_cloudformation_json = classmethod(create_bucket)


def _cloudfront(account_id):
    return cloudfront_backends[account_id]["aws"]


class OriginAccessControlResource(CloudFormationModel):
    # moto files its models by service, from the module name.
    __module__ = "moto.cloudfront.models"

    def __init__(self, account_id, control):
        self.account_id = account_id
        self.control = control

    @staticmethod
    def cloudformation_type():
        return "AWS::CloudFront::OriginAccessControl"

    @staticmethod
    def cloudformation_name_type():
        return ""

    @property
    def physical_resource_id(self):
        return self.control.id

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr == "Id"

    def get_cfn_attribute(self, attribute_name):
        return self.control.id

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        config = cloudformation_json["Properties"]["OriginAccessControlConfig"]
        control = _cloudfront(account_id).create_origin_access_control(dict(config))
        return cls(account_id, control)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name
    ):
        _cloudfront(account_id).origin_access_controls.pop(resource_name, None)


def _items(values):
    return {"Quantity": len(values), "Items": list(values)}


def distribution_config(properties, caller_reference):
    """CloudFormation's DistributionConfig in the shape of CreateDistribution's."""
    cfn = properties["DistributionConfig"]
    origins = []
    for origin in cfn.get("Origins", []):
        api = {"Id": origin["Id"], "DomainName": origin["DomainName"]}
        if "S3OriginConfig" in origin:
            api["S3OriginConfig"] = {
                "OriginAccessIdentity": origin["S3OriginConfig"].get("OriginAccessIdentity", "")
            }
        if "CustomOriginConfig" in origin:
            custom = origin["CustomOriginConfig"]
            api["CustomOriginConfig"] = {
                "HTTPPort": custom.get("HTTPPort", 80),
                "HTTPSPort": custom.get("HTTPSPort", 443),
                "OriginProtocolPolicy": custom.get("OriginProtocolPolicy"),
            }
        origins.append(api)
    behaviour = cfn.get("DefaultCacheBehavior", {})
    default = {
        "TargetOriginId": behaviour.get("TargetOriginId"),
        "ViewerProtocolPolicy": behaviour.get("ViewerProtocolPolicy", "allow-all"),
        "CachePolicyId": behaviour.get("CachePolicyId", ""),
        "Compress": behaviour.get("Compress", False),
        "AllowedMethods": {
            "Items": behaviour.get("AllowedMethods", ["GET", "HEAD"]),
            "CachedMethods": {"Items": behaviour.get("CachedMethods", ["GET", "HEAD"])},
        },
    }
    config = {
        "CallerReference": caller_reference,
        "Comment": cfn.get("Comment", ""),
        "Enabled": cfn.get("Enabled", True),
        "Origins": _items(origins),
        "DefaultCacheBehavior": default,
        "DefaultRootObject": cfn.get("DefaultRootObject", ""),
        "PriceClass": cfn.get("PriceClass", "PriceClass_All"),
        "HttpVersion": cfn.get("HttpVersion", "http2"),
        "IsIPV6Enabled": cfn.get("IPV6Enabled", False),
    }
    if cfn.get("Aliases"):
        config["Aliases"] = _items(cfn["Aliases"])
    if cfn.get("CustomErrorResponses"):
        config["CustomErrorResponses"] = _items(cfn["CustomErrorResponses"])
    viewer = cfn.get("ViewerCertificate")
    if viewer:
        config["ViewerCertificate"] = {
            "CloudFrontDefaultCertificate": viewer.get("CloudFrontDefaultCertificate", False),
            "ACMCertificateArn": viewer.get("AcmCertificateArn", ""),
            "SSLSupportMethod": viewer.get("SslSupportMethod", "sni-only"),
            "MinimumProtocolVersion": viewer.get("MinimumProtocolVersion", "TLSv1"),
        }
    return config


class DistributionResource(CloudFormationModel):
    # moto files its models by service, from the module name.
    __module__ = "moto.cloudfront.models"

    def __init__(self, account_id, distribution):
        self.account_id = account_id
        self.distribution = distribution

    @staticmethod
    def cloudformation_type():
        return "AWS::CloudFront::Distribution"

    @staticmethod
    def cloudformation_name_type():
        return ""

    @property
    def physical_resource_id(self):
        return self.distribution.distribution_id

    @classmethod
    def has_cfn_attr(cls, attr):
        return attr in ("Id", "DomainName")

    def get_cfn_attribute(self, attribute_name):
        if attribute_name == "DomainName":
            return self.distribution.domain_name
        return self.distribution.distribution_id

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        properties = cloudformation_json["Properties"]
        reference = f"{kwargs.get('StackId', '')}/{kwargs.get('LogicalId', resource_name)}"
        config = distribution_config(properties, reference)
        tags = properties.get("Tags", [])
        distribution, _, _ = _cloudfront(account_id).create_distribution(config, tags)
        controls = {
            origin["Id"]: origin.get("OriginAccessControlId")
            for origin in properties["DistributionConfig"].get("Origins", [])
        }
        for origin in distribution.distribution_config.Origins["Items"]:
            if controls.get(origin.id):
                origin.origin_access_control_id = controls[origin.id]
        return cls(account_id, distribution)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name
    ):
        _cloudfront(account_id).distributions.pop(resource_name, None)


class BucketPolicyResource(CloudFormationModel):
    # moto files its models by service, from the module name.
    __module__ = "moto.s3.models"

    def __init__(self, bucket):
        self.bucket = bucket

    @staticmethod
    def cloudformation_type():
        return "AWS::S3::BucketPolicy"

    @staticmethod
    def cloudformation_name_type():
        return ""

    @property
    def physical_resource_id(self):
        return self.bucket

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
    ):
        properties = cloudformation_json["Properties"]
        bucket = properties["Bucket"]
        policy = json.dumps(properties["PolicyDocument"]).encode()
        s3_backends[account_id]["aws"].put_bucket_policy(bucket, policy)
        return cls(bucket)

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name, cloudformation_json, account_id, region_name
    ):
        backend = s3_backends[account_id]["aws"]
        bucket = cloudformation_json.get("Properties", {}).get("Bucket", resource_name)
        try:
            backend.delete_bucket_policy(bucket)
        except Exception:  # the bucket is gone already
            pass


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


_apply_change_set = ChangeSet.apply


def apply_change_set(self):
    _apply_change_set(self)
    stack = self.stack
    stack.template = self.template
    stack._parse_template()
    stack.output_map = OutputMap(stack.resource_map, stack.template_dict, stack.stack_id)


ChangeSet.apply = apply_change_set

# 7. moto's CloudFront Origin drops OriginAccessControlId, so a distribution made through the
# API reads as one with no Origin Access Control. The harness keeps the id on the origin, where
# moto's serializer finds it by name.
from moto.cloudfront.models import Origin as CloudFrontOrigin

_origin_init = CloudFrontOrigin.__init__


def origin_init(self, origin):
    _origin_init(self, origin)
    self.origin_access_control_id = origin.get("OriginAccessControlId", "")


CloudFrontOrigin.__init__ = origin_init

# 8. ECS list pagination, on request (see the module's docstring).
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.moto_api._internal.models import MotoAPIBackend

OPSDECK_CONFIG = {"page_ecs_lists": False, "ecs_deployments": False}
_set_config = MotoAPIBackend.set_config


def set_config(self, config):
    _set_config(self, config)
    OPSDECK_CONFIG.update(config.get("opsdeck", {}))


MotoAPIBackend.set_config = set_config


def paged(operation, key, default_page):
    original = getattr(EC2ContainerServiceResponse, operation)

    def respond(self):
        answer = original(self)
        if not OPSDECK_CONFIG["page_ecs_lists"]:
            return answer
        items = answer.result[key]
        size = min(int(self._get_param("maxResults") or default_page), 100)
        start = int(self._get_param("nextToken") or 0)
        page = {key: items[start : start + size]}
        if start + size < len(items):
            page["nextToken"] = str(start + size)
        return type(answer)(page)

    setattr(EC2ContainerServiceResponse, operation, respond)


paged("list_clusters", "clusterArns", 100)
paged("list_services", "serviceArns", 10)
paged("list_tasks", "taskArns", 100)

# 9. A new deployment on UpdateService, on request (see the module's docstring).
from moto.core.utils import utcnow
from moto.ecs.models import EC2ContainerServiceBackend
from moto.moto_api._internal import mock_random

_update_service = EC2ContainerServiceBackend.update_service


def update_service(self, service_properties):
    cluster = service_properties.get("cluster", "default")
    name = service_properties["service"].split("/")[-1]
    before = self._get_service(cluster, name).task_definition
    service = _update_service(self, service_properties)
    if (
        OPSDECK_CONFIG["ecs_deployments"]
        and service.deployments
        and service.task_definition != before
    ):
        now = utcnow()
        deployment = dict(service.deployments[0])
        deployment.update(
            {
                "id": f"ecs-svc/{mock_random.randint(0, 32**12)}",
                "taskDefinition": service.task_definition,
                "status": "PRIMARY",
                "createdAt": now,
                "updatedAt": now,
            }
        )
        service.deployments = [deployment]
    return service


EC2ContainerServiceBackend.update_service = update_service

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
