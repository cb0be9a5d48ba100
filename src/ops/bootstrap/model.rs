//! The typed stack model: the resources the answers imply, each with a stable logical id,
//! its CloudFormation properties and the few settings a user checks in a plan.

use serde_json::{Map, Value, json};

use super::answers::{
    Answers, Cidr, Database, Image, NatChoice, Postgres, SiteCertificate, edge_stack_name,
    subnet_prefix,
};

/// The tag every resource of an opsdeck stack carries, so teardown can list what is left.
pub const STACK_TAG: &str = "opsdeck:stack";
/// Where the container's logs go in the log group: `ecs/<container>/<task-id>`.
pub const LOG_STREAM_PREFIX: &str = "ecs";
/// RDS creates this user; its password lives in the secret RDS manages.
pub const DB_MASTER_USER: &str = "opsdeck";
/// The template parameter that carries an external database's connection string. NoEcho:
/// CloudFormation never shows it back.
pub const CONNECTION_STRING_PARAMETER: &str = "DatabaseConnectionString";
/// The template parameter with the image tag of a repository the stack creates.
pub const IMAGE_TAG_PARAMETER: &str = "ImageTag";
/// The template parameter with the id of the domain's hosted zone.
pub const HOSTED_ZONE_PARAMETER: &str = "HostedZoneId";
/// The template parameter with the site's CloudFront certificate, made by the companion
/// stack in us-east-1.
pub const SITE_CERTIFICATE_PARAMETER: &str = "SiteCertificateArn";
/// The companion stack's output with that certificate.
pub const EDGE_CERTIFICATE_OUTPUT: &str = "CertificateArn";
/// Images kept in a new repository: enough to roll back weeks of releases.
pub const KEEP_IMAGES: u32 = 30;
/// CloudFront's managed cache policy CachingOptimized: long TTLs, gzip and brotli, no
/// cookies or query strings in the key (hashed assets; `index.html` says `no-cache` itself).
pub const CACHING_OPTIMIZED_POLICY: &str = "658327ea-f89d-4fab-a63d-7e88639e58f6";
/// The hosted zone id every alias record to a CloudFront distribution names.
pub const CLOUDFRONT_HOSTED_ZONE: &str = "Z2FDTNDATAQYW2";
/// The distribution's origin id for the site's bucket.
pub const SITE_ORIGIN_ID: &str = "site-bucket";
/// Fargate tasks take about two minutes to pass their first health checks (OPS-FACTS).
pub const HEALTH_CHECK_GRACE_SECONDS: u32 = 120;

/// One CloudFormation resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub logical_id: String,
    /// `AWS::EC2::VPC`...
    pub kind: &'static str,
    pub properties: Map<String, Value>,
    pub depends_on: Vec<String>,
    /// `DeletionPolicy` and `UpdateReplacePolicy: Snapshot`: the data survives a delete.
    pub keeps_snapshot: bool,
    /// The `Name` tag shown in the AWS console, when the resource takes tags.
    pub name_tag: Option<String>,
    /// What the plan shows of it.
    pub settings: Map<String, Value>,
}

/// A template parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    pub name: &'static str,
    pub kind: &'static str,
    pub description: String,
    pub default: Option<String>,
    pub no_echo: bool,
}

/// The stack: the answers and every resource, parameter and output they imply.
#[derive(Debug, Clone, PartialEq)]
pub struct StackModel {
    pub answers: Answers,
    pub public_subnets: Vec<Cidr>,
    pub private_subnets: Vec<Cidr>,
    pub parameters: Vec<Parameter>,
    pub resources: Vec<Resource>,
    pub outputs: Vec<(&'static str, String, Value)>,
}

impl Resource {
    fn new(logical_id: impl Into<String>, kind: &'static str, properties: Value) -> Resource {
        Resource {
            logical_id: logical_id.into(),
            kind,
            properties: match properties {
                Value::Object(map) => map,
                _ => Map::new(),
            },
            depends_on: Vec::new(),
            keeps_snapshot: false,
            name_tag: None,
            settings: Map::new(),
        }
    }

    fn named(mut self, name: impl Into<String>) -> Resource {
        self.name_tag = Some(name.into());
        self
    }

    fn after(mut self, logical_id: &str) -> Resource {
        self.depends_on.push(logical_id.to_string());
        self
    }

    fn show(mut self, settings: Value) -> Resource {
        if let Value::Object(map) = settings {
            self.settings = map;
        }
        self
    }
}

pub fn r(logical_id: &str) -> Value {
    json!({ "Ref": logical_id })
}

pub fn att(logical_id: &str, attribute: &str) -> Value {
    json!({ "Fn::GetAtt": [logical_id, attribute] })
}

fn sub(text: &str) -> Value {
    json!({ "Fn::Sub": text })
}

fn az(index: usize) -> Value {
    json!({ "Fn::Select": [index, { "Fn::GetAZs": "" }] })
}

impl StackModel {
    pub fn build(answers: &Answers) -> StackModel {
        let mut model = StackModel {
            answers: answers.clone(),
            public_subnets: Vec::new(),
            private_subnets: Vec::new(),
            parameters: Vec::new(),
            resources: Vec::new(),
            outputs: Vec::new(),
        };
        model.network();
        model.security_groups();
        model.load_balancer();
        model.database();
        model.service();
        model.autoscaling();
        model.alarms();
        model.site();
        model.outputs();
        model
    }

    fn push(&mut self, resource: Resource) {
        self.resources.push(resource);
    }

    pub fn resource(&self, logical_id: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.logical_id == logical_id)
    }

    fn name(&self) -> &str {
        &self.answers.name
    }

    fn network(&mut self) {
        let name = self.name().to_string();
        let network = self.answers.network.clone();
        let azs = usize::from(network.azs);
        let prefix = subnet_prefix(network.cidr, network.azs);
        // Public subnets take the first blocks, private ones the next: the carving stays the
        // same whatever else changes, so a re-run never moves a subnet.
        self.public_subnets = (0..azs)
            .map(|i| network.cidr.subnet(prefix, i as u32))
            .collect();
        self.private_subnets = (0..azs)
            .map(|i| network.cidr.subnet(prefix, (azs + i) as u32))
            .collect();

        self.push(
            Resource::new(
                "Vpc",
                "AWS::EC2::VPC",
                json!({
                    "CidrBlock": network.cidr.to_string(),
                    "EnableDnsHostnames": true,
                    "EnableDnsSupport": true,
                }),
            )
            .named(&name)
            .show(json!({ "cidr": network.cidr.to_string(), "azs": network.azs })),
        );
        self.push(
            Resource::new("InternetGateway", "AWS::EC2::InternetGateway", json!({})).named(&name),
        );
        self.push(Resource::new(
            "VpcGatewayAttachment",
            "AWS::EC2::VPCGatewayAttachment",
            json!({ "VpcId": r("Vpc"), "InternetGatewayId": r("InternetGateway") }),
        ));
        self.push(
            Resource::new(
                "PublicRouteTable",
                "AWS::EC2::RouteTable",
                json!({ "VpcId": r("Vpc") }),
            )
            .named(format!("{name}-public")),
        );
        self.push(
            Resource::new(
                "PublicDefaultRoute",
                "AWS::EC2::Route",
                json!({
                    "RouteTableId": r("PublicRouteTable"),
                    "DestinationCidrBlock": "0.0.0.0/0",
                    "GatewayId": r("InternetGateway"),
                }),
            )
            .after("VpcGatewayAttachment")
            .show(json!({ "to": "internet gateway" })),
        );
        for i in 1..=azs {
            let public = self.public_subnets[i - 1];
            self.push(
                Resource::new(
                    format!("PublicSubnet{i}"),
                    "AWS::EC2::Subnet",
                    json!({
                        "VpcId": r("Vpc"),
                        "CidrBlock": public.to_string(),
                        "AvailabilityZone": az(i - 1),
                        "MapPublicIpOnLaunch": false,
                    }),
                )
                .named(format!("{name}-public-{i}"))
                .show(json!({ "cidr": public.to_string(), "az": i, "public": true })),
            );
            self.push(Resource::new(
                format!("PublicSubnet{i}RouteTableAssociation"),
                "AWS::EC2::SubnetRouteTableAssociation",
                json!({
                    "SubnetId": r(&format!("PublicSubnet{i}")),
                    "RouteTableId": r("PublicRouteTable"),
                }),
            ));
        }
        let nats = match network.nat {
            NatChoice::Single => 1,
            NatChoice::PerAz => azs,
        };
        for k in 1..=nats {
            self.push(
                Resource::new(
                    format!("NatEip{k}"),
                    "AWS::EC2::EIP",
                    json!({ "Domain": "vpc" }),
                )
                .after("VpcGatewayAttachment")
                .named(format!("{name}-nat-{k}")),
            );
            self.push(
                Resource::new(
                    format!("NatGateway{k}"),
                    "AWS::EC2::NatGateway",
                    json!({
                        "AllocationId": att(&format!("NatEip{k}"), "AllocationId"),
                        "SubnetId": r(&format!("PublicSubnet{k}")),
                    }),
                )
                .named(format!("{name}-nat-{k}"))
                .show(json!({ "subnet": format!("PublicSubnet{k}"), "nat": network.nat.label() })),
            );
        }
        for i in 1..=azs {
            let private = self.private_subnets[i - 1];
            // One private route table per AZ whatever the NAT choice, so switching between a
            // single NAT and one per AZ only changes routes, never replaces a table.
            let nat = if nats == 1 { 1 } else { i };
            self.push(
                Resource::new(
                    format!("PrivateSubnet{i}"),
                    "AWS::EC2::Subnet",
                    json!({
                        "VpcId": r("Vpc"),
                        "CidrBlock": private.to_string(),
                        "AvailabilityZone": az(i - 1),
                        "MapPublicIpOnLaunch": false,
                    }),
                )
                .named(format!("{name}-private-{i}"))
                .show(json!({ "cidr": private.to_string(), "az": i, "public": false })),
            );
            self.push(
                Resource::new(
                    format!("PrivateRouteTable{i}"),
                    "AWS::EC2::RouteTable",
                    json!({ "VpcId": r("Vpc") }),
                )
                .named(format!("{name}-private-{i}")),
            );
            self.push(
                Resource::new(
                    format!("PrivateDefaultRoute{i}"),
                    "AWS::EC2::Route",
                    json!({
                        "RouteTableId": r(&format!("PrivateRouteTable{i}")),
                        "DestinationCidrBlock": "0.0.0.0/0",
                        "NatGatewayId": r(&format!("NatGateway{nat}")),
                    }),
                )
                .show(json!({ "to": format!("NatGateway{nat}") })),
            );
            self.push(Resource::new(
                format!("PrivateSubnet{i}RouteTableAssociation"),
                "AWS::EC2::SubnetRouteTableAssociation",
                json!({
                    "SubnetId": r(&format!("PrivateSubnet{i}")),
                    "RouteTableId": r(&format!("PrivateRouteTable{i}")),
                }),
            ));
        }
    }

    fn has_postgres(&self) -> Option<Postgres> {
        match &self.answers.database {
            Database::Postgres(postgres) => Some(postgres.clone()),
            _ => None,
        }
    }

    fn private_subnet_refs(&self) -> Value {
        Value::Array(
            (1..=self.private_subnets.len())
                .map(|i| r(&format!("PrivateSubnet{i}")))
                .collect(),
        )
    }

    fn public_subnet_refs(&self) -> Value {
        Value::Array(
            (1..=self.public_subnets.len())
                .map(|i| r(&format!("PublicSubnet{i}")))
                .collect(),
        )
    }

    fn security_groups(&mut self) {
        let name = self.name().to_string();
        let port = self.answers.service.port;
        let https = self.answers.domain.is_some();
        // Ingress from anywhere only on the ports the ALB listens on.
        let mut alb_ingress = vec![json!({
            "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "CidrIp": "0.0.0.0/0",
            "Description": "HTTP from the internet",
        })];
        let mut alb_shown = vec![json!("tcp 80 from 0.0.0.0/0")];
        if https {
            alb_ingress.push(json!({
                "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0",
                "Description": "HTTPS from the internet",
            }));
            alb_shown.push(json!("tcp 443 from 0.0.0.0/0"));
        }
        // A rule to loopback replaces the default allow-all egress; the real egress rules are
        // separate resources because they point at groups that point back.
        let no_egress = json!([{
            "IpProtocol": "-1", "CidrIp": "127.0.0.1/32",
            "Description": "no egress but the rules below",
        }]);
        self.push(
            Resource::new(
                "AlbSecurityGroup",
                "AWS::EC2::SecurityGroup",
                json!({
                    "GroupDescription": format!("{name} load balancer: HTTP(S) from the internet"),
                    "VpcId": r("Vpc"),
                    "SecurityGroupIngress": alb_ingress,
                    "SecurityGroupEgress": no_egress,
                }),
            )
            .named(format!("{name}-alb"))
            .show(json!({ "ingress": alb_shown })),
        );
        let external = matches!(self.answers.database, Database::External { .. });
        let service_egress = if external {
            // The external database's port is inside its (secret) connection string.
            json!([{
                "IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "CidrIp": "0.0.0.0/0",
                "Description": "HTTPS (images, logs, secrets) and the external database",
            }])
        } else {
            json!([{
                "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "0.0.0.0/0",
                "Description": "HTTPS out through the NAT: ECR, CloudWatch Logs, Secrets Manager",
            }])
        };
        self.push(
            Resource::new(
                "ServiceSecurityGroup",
                "AWS::EC2::SecurityGroup",
                json!({
                    "GroupDescription": format!("{name} tasks: the container port from the load balancer"),
                    "VpcId": r("Vpc"),
                    "SecurityGroupIngress": [{
                        "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                        "SourceSecurityGroupId": att("AlbSecurityGroup", "GroupId"),
                        "Description": "the container port from the load balancer",
                    }],
                    "SecurityGroupEgress": service_egress,
                }),
            )
            .named(format!("{name}-service"))
            .show(json!({ "ingress": [format!("tcp {port} from AlbSecurityGroup")] })),
        );
        self.push(
            Resource::new(
                "AlbToServiceEgress",
                "AWS::EC2::SecurityGroupEgress",
                json!({
                    "GroupId": att("AlbSecurityGroup", "GroupId"),
                    "IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                    "DestinationSecurityGroupId": att("ServiceSecurityGroup", "GroupId"),
                    "Description": "to the tasks' container port",
                }),
            )
            .show(json!({ "egress": format!("tcp {port} to ServiceSecurityGroup") })),
        );
        if self.has_postgres().is_some() {
            self.push(
                Resource::new(
                    "DatabaseSecurityGroup",
                    "AWS::EC2::SecurityGroup",
                    json!({
                        "GroupDescription": format!("{name} database: PostgreSQL from the tasks"),
                        "VpcId": r("Vpc"),
                        "SecurityGroupIngress": [{
                            "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                            "SourceSecurityGroupId": att("ServiceSecurityGroup", "GroupId"),
                            "Description": "PostgreSQL from the tasks",
                        }],
                        "SecurityGroupEgress": no_egress,
                    }),
                )
                .named(format!("{name}-database"))
                .show(json!({ "ingress": ["tcp 5432 from ServiceSecurityGroup"] })),
            );
            self.push(
                Resource::new(
                    "ServiceToDatabaseEgress",
                    "AWS::EC2::SecurityGroupEgress",
                    json!({
                        "GroupId": att("ServiceSecurityGroup", "GroupId"),
                        "IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                        "DestinationSecurityGroupId": att("DatabaseSecurityGroup", "GroupId"),
                        "Description": "to the database",
                    }),
                )
                .show(json!({ "egress": "tcp 5432 to DatabaseSecurityGroup" })),
            );
        }
    }

    fn load_balancer(&mut self) {
        let name = self.name().to_string();
        let service = self.answers.service.clone();
        let domain = self.answers.domain.clone();
        self.push(
            Resource::new(
                "LoadBalancer",
                "AWS::ElasticLoadBalancingV2::LoadBalancer",
                json!({
                    "Name": name,
                    "Scheme": "internet-facing",
                    "Type": "application",
                    "Subnets": self.public_subnet_refs(),
                    "SecurityGroups": [att("AlbSecurityGroup", "GroupId")],
                }),
            )
            .show(json!({ "name": name, "scheme": "internet-facing", "subnets": "public" })),
        );
        self.push(
            Resource::new(
                "TargetGroup",
                "AWS::ElasticLoadBalancingV2::TargetGroup",
                json!({
                    "VpcId": r("Vpc"),
                    "TargetType": "ip",
                    "Protocol": "HTTP",
                    "Port": service.port,
                    "HealthCheckProtocol": "HTTP",
                    "HealthCheckPath": service.health_check,
                    "Matcher": { "HttpCode": "200-399" },
                    // 300 s by default: every deploy would wait five minutes per old task.
                    "TargetGroupAttributes": [
                        { "Key": "deregistration_delay.timeout_seconds", "Value": "30" }
                    ],
                }),
            )
            .named(format!("{name}-app"))
            .show(json!({ "target_type": "ip", "port": service.port, "health_check": service.health_check })),
        );
        let forward = json!([{ "Type": "forward", "TargetGroupArn": r("TargetGroup") }]);
        match &domain {
            None => self.push(
                Resource::new(
                    "HttpListener",
                    "AWS::ElasticLoadBalancingV2::Listener",
                    json!({
                        "LoadBalancerArn": r("LoadBalancer"),
                        "Port": 80,
                        "Protocol": "HTTP",
                        "DefaultActions": forward,
                    }),
                )
                .show(json!({ "port": 80, "action": "forward to TargetGroup" })),
            ),
            Some(domain) => {
                self.parameters.push(Parameter {
                    name: HOSTED_ZONE_PARAMETER,
                    kind: "AWS::Route53::HostedZone::Id",
                    description: format!(
                        "The id of the Route53 hosted zone {}; bootstrap looks it up by name",
                        domain.hosted_zone
                    ),
                    default: domain.hosted_zone_id.clone(),
                    no_echo: false,
                });
                self.push(
                    Resource::new(
                        "HttpListener",
                        "AWS::ElasticLoadBalancingV2::Listener",
                        json!({
                            "LoadBalancerArn": r("LoadBalancer"),
                            "Port": 80,
                            "Protocol": "HTTP",
                            "DefaultActions": [{
                                "Type": "redirect",
                                "RedirectConfig": {
                                    "Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301",
                                },
                            }],
                        }),
                    )
                    .show(json!({ "port": 80, "action": "redirect to HTTPS" })),
                );
                self.push(
                    Resource::new(
                        "Certificate",
                        "AWS::CertificateManager::Certificate",
                        json!({
                            "DomainName": domain.name,
                            "ValidationMethod": "DNS",
                            // Naming the zone lets CloudFormation write the validation record
                            // itself; without it the stack waits for a person.
                            "DomainValidationOptions": [{
                                "DomainName": domain.name,
                                "HostedZoneId": r(HOSTED_ZONE_PARAMETER),
                            }],
                        }),
                    )
                    .named(&domain.name)
                    .show(json!({ "domain": domain.name, "validation": "DNS", "hosted_zone": domain.hosted_zone })),
                );
                self.push(
                    Resource::new(
                        "HttpsListener",
                        "AWS::ElasticLoadBalancingV2::Listener",
                        json!({
                            "LoadBalancerArn": r("LoadBalancer"),
                            "Port": 443,
                            "Protocol": "HTTPS",
                            "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
                            "Certificates": [{ "CertificateArn": r("Certificate") }],
                            "DefaultActions": forward,
                        }),
                    )
                    .show(json!({ "port": 443, "action": "forward to TargetGroup", "certificate": "Certificate" })),
                );
                self.push(
                    Resource::new(
                        "DnsRecord",
                        "AWS::Route53::RecordSet",
                        json!({
                            "HostedZoneId": r(HOSTED_ZONE_PARAMETER),
                            "Name": domain.name,
                            "Type": "A",
                            "AliasTarget": {
                                "DNSName": att("LoadBalancer", "DNSName"),
                                "HostedZoneId": att("LoadBalancer", "CanonicalHostedZoneID"),
                            },
                        }),
                    )
                    .show(json!({ "name": domain.name, "alias": "LoadBalancer" })),
                );
            }
        }
    }

    fn database(&mut self) {
        let name = self.name().to_string();
        match self.answers.database.clone() {
            Database::None => {}
            Database::External { .. } => {
                self.parameters.push(Parameter {
                    name: CONNECTION_STRING_PARAMETER,
                    kind: "String",
                    description: "The external database's connection string, kept in Secrets \
                                  Manager; bootstrap passes it from the answer file"
                        .into(),
                    default: None,
                    no_echo: true,
                });
                self.push(
                    Resource::new(
                        "DatabaseSecret",
                        "AWS::SecretsManager::Secret",
                        json!({
                            "Description": format!("{name}: the external database's connection string"),
                            "SecretString": r(CONNECTION_STRING_PARAMETER),
                        }),
                    )
                    .named(format!("{name}-database"))
                    .show(json!({ "holds": "connection string (from a NoEcho parameter)" })),
                );
            }
            Database::Postgres(postgres) => {
                self.push(
                    Resource::new(
                        "DatabaseSubnetGroup",
                        "AWS::RDS::DBSubnetGroup",
                        json!({
                            "DBSubnetGroupDescription": format!("{name} database: the private subnets"),
                            "SubnetIds": self.private_subnet_refs(),
                        }),
                    )
                    .named(format!("{name}-database"))
                    .show(json!({ "subnets": "private" })),
                );
                let mut database = Resource::new(
                    "Database",
                    "AWS::RDS::DBInstance",
                    json!({
                        "Engine": "postgres",
                        "EngineVersion": postgres.version,
                        // A pinned minor with automatic upgrades would make the next update
                        // ask RDS to downgrade; minor upgrades are a changed answer instead.
                        "AutoMinorVersionUpgrade": false,
                        "DBInstanceClass": postgres.class,
                        "AllocatedStorage": postgres.storage_gb.to_string(),
                        "StorageType": "gp3",
                        "StorageEncrypted": true,
                        "MultiAZ": postgres.multi_az,
                        "BackupRetentionPeriod": postgres.backup_days,
                        "DeletionProtection": postgres.deletion_protection,
                        "DBName": database_name(&name),
                        "MasterUsername": DB_MASTER_USER,
                        "ManageMasterUserPassword": true,
                        "DBSubnetGroupName": r("DatabaseSubnetGroup"),
                        "VPCSecurityGroups": [att("DatabaseSecurityGroup", "GroupId")],
                        "PubliclyAccessible": false,
                        "CopyTagsToSnapshot": true,
                    }),
                )
                .named(&name)
                .show(json!({
                    "engine": format!("postgres {}", postgres.version),
                    "class": postgres.class,
                    "storage_gb": postgres.storage_gb,
                    "multi_az": postgres.multi_az,
                    "backup_days": postgres.backup_days,
                    "deletion_protection": postgres.deletion_protection,
                    "password": "managed by RDS in Secrets Manager",
                    "on_delete": "snapshot",
                }));
                database.keeps_snapshot = true;
                self.push(database);
            }
        }
    }

    /// Where the task's secrets come from: the ARN the execution role may read.
    fn secret_arn(&self) -> Option<Value> {
        match &self.answers.database {
            Database::None => None,
            Database::Postgres(_) => Some(att("Database", "MasterUserSecret.SecretArn")),
            Database::External { .. } => Some(r("DatabaseSecret")),
        }
    }

    fn service(&mut self) {
        let name = self.name().to_string();
        let region = self.answers.region.clone();
        let service = self.answers.service.clone();
        let (image, ecr_repository) = match &service.image {
            Image::NewRepository(repository) => {
                self.parameters.push(Parameter {
                    name: IMAGE_TAG_PARAMETER,
                    kind: "String",
                    description: format!("The tag of the image in the repository {repository}"),
                    default: Some("latest".into()),
                    no_echo: false,
                });
                let mut lifecycle = json!({
                    "rules": [{
                        "rulePriority": 1,
                        "description": format!("keep the last {KEEP_IMAGES} images"),
                        "selection": {
                            "tagStatus": "any",
                            "countType": "imageCountMoreThan",
                            "countNumber": KEEP_IMAGES,
                        },
                        "action": { "type": "expire" },
                    }],
                });
                // Sorted, so the embedded text is the same in every build (see template()).
                lifecycle.sort_all_objects();
                self.push(
                    Resource::new(
                        "ImageRepository",
                        "AWS::ECR::Repository",
                        json!({
                            "RepositoryName": repository,
                            "ImageScanningConfiguration": { "ScanOnPush": true },
                            "LifecyclePolicy": { "LifecyclePolicyText": lifecycle.to_string() },
                            // A repository that holds images fails to delete without it.
                            "EmptyOnDelete": true,
                        }),
                    )
                    .show(json!({ "name": repository, "scan_on_push": true, "keeps_last": KEEP_IMAGES })),
                );
                (
                    sub(&format!(
                        "${{ImageRepository.RepositoryUri}}:${{{IMAGE_TAG_PARAMETER}}}"
                    )),
                    Some(att("ImageRepository", "Arn")),
                )
            }
            Image::Reference(reference) => {
                (Value::String(reference.clone()), ecr_arn_of(reference))
            }
        };
        self.push(
            Resource::new(
                "LogGroup",
                "AWS::Logs::LogGroup",
                json!({
                    "LogGroupName": format!("/ecs/{name}"),
                    "RetentionInDays": service.log_retention_days,
                }),
            )
            .show(json!({ "name": format!("/ecs/{name}"), "retention_days": service.log_retention_days })),
        );

        let mut statements = vec![json!({
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": att("LogGroup", "Arn"),
        })];
        if let Some(repository) = &ecr_repository {
            // GetAuthorizationToken has no resource to scope to.
            statements.push(json!({
                "Sid": "EcrLogin", "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken", "Resource": "*",
            }));
            statements.push(json!({
                "Sid": "PullImage", "Effect": "Allow",
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                "Resource": repository,
            }));
        }
        if let Some(secret) = self.secret_arn() {
            statements.push(json!({
                "Sid": "ReadDatabaseSecret", "Effect": "Allow",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": secret,
            }));
        }
        let allowed: Vec<Value> = statements
            .iter()
            .filter_map(|s| s.get("Sid").cloned())
            .collect();
        self.push(
            Resource::new(
                "TaskExecutionRole",
                "AWS::IAM::Role",
                json!({
                    "Description": format!("{name} tasks: pull the image, write logs, read the database secret"),
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Effect": "Allow",
                            "Principal": { "Service": "ecs-tasks.amazonaws.com" },
                            "Action": "sts:AssumeRole",
                            "Condition": { "StringEquals": { "aws:SourceAccount": r("AWS::AccountId") } },
                        }],
                    },
                    "Policies": [{
                        "PolicyName": "task-execution",
                        "PolicyDocument": { "Version": "2012-10-17", "Statement": statements },
                    }],
                }),
            )
            .named(format!("{name}-task-execution"))
            .show(json!({ "allows": allowed })),
        );

        let mut environment: Vec<Value> = service
            .environment
            .iter()
            .map(|(key, value)| json!({ "Name": key, "Value": value }))
            .collect();
        let mut secrets = Vec::new();
        match &self.answers.database {
            Database::None => {}
            Database::Postgres(_) => {
                // The secret RDS manages holds only username and password, so the address
                // comes from the instance and the credentials from the secret's JSON keys,
                // under the libpq names most PostgreSQL clients read by themselves.
                environment.push(
                    json!({ "Name": "PGHOST", "Value": att("Database", "Endpoint.Address") }),
                );
                environment
                    .push(json!({ "Name": "PGPORT", "Value": att("Database", "Endpoint.Port") }));
                environment.push(json!({ "Name": "PGDATABASE", "Value": database_name(&name) }));
                let secret = "${Database.MasterUserSecret.SecretArn}";
                secrets.push(
                    json!({ "Name": "PGUSER", "ValueFrom": sub(&format!("{secret}:username::")) }),
                );
                secrets.push(json!({ "Name": "PGPASSWORD", "ValueFrom": sub(&format!("{secret}:password::")) }));
            }
            Database::External { .. } => {
                secrets.push(json!({ "Name": "DATABASE_URL", "ValueFrom": r("DatabaseSecret") }));
            }
        }
        let mut container = json!({
            "Name": name,
            "Image": image,
            "Essential": true,
            "PortMappings": [{ "ContainerPort": service.port, "Protocol": "tcp" }],
            "Environment": environment,
            "LogConfiguration": {
                "LogDriver": "awslogs",
                "Options": {
                    "awslogs-group": r("LogGroup"),
                    "awslogs-region": region,
                    "awslogs-stream-prefix": LOG_STREAM_PREFIX,
                },
            },
        });
        let secret_names: Vec<Value> = secrets
            .iter()
            .filter_map(|s| s.get("Name").cloned())
            .collect();
        if !secrets.is_empty() {
            container["Secrets"] = Value::Array(secrets);
        }
        self.push(
            Resource::new(
                "TaskDefinition",
                "AWS::ECS::TaskDefinition",
                json!({
                    "Family": name,
                    "Cpu": service.cpu.to_string(),
                    "Memory": service.memory.to_string(),
                    "NetworkMode": "awsvpc",
                    "RequiresCompatibilities": ["FARGATE"],
                    "RuntimePlatform": { "OperatingSystemFamily": "LINUX", "CpuArchitecture": "X86_64" },
                    "ExecutionRoleArn": att("TaskExecutionRole", "Arn"),
                    "ContainerDefinitions": [container],
                }),
            )
            .show(json!({
                "cpu": service.cpu,
                "memory": service.memory,
                "image": match &service.image {
                    Image::NewRepository(repository) => format!("{repository} (new ECR repository)"),
                    Image::Reference(reference) => reference.clone(),
                },
                "secrets": secret_names,
            })),
        );
        self.push(
            Resource::new(
                "Cluster",
                "AWS::ECS::Cluster",
                json!({ "ClusterName": name }),
            )
            .show(json!({ "name": name })),
        );
        let mut ecs_service = Resource::new(
            "Service",
            "AWS::ECS::Service",
            json!({
                "ServiceName": name,
                "Cluster": r("Cluster"),
                "TaskDefinition": r("TaskDefinition"),
                "LaunchType": "FARGATE",
                "DesiredCount": service.desired,
                "HealthCheckGracePeriodSeconds": HEALTH_CHECK_GRACE_SECONDS,
                "DeploymentConfiguration": {
                    "DeploymentCircuitBreaker": { "Enable": true, "Rollback": true },
                    "MaximumPercent": 200,
                    "MinimumHealthyPercent": 100,
                },
                "NetworkConfiguration": {
                    "AwsvpcConfiguration": {
                        "AssignPublicIp": "DISABLED",
                        "Subnets": self.private_subnet_refs(),
                        "SecurityGroups": [att("ServiceSecurityGroup", "GroupId")],
                    },
                },
                "LoadBalancers": [{
                    "ContainerName": name,
                    "ContainerPort": service.port,
                    "TargetGroupArn": r("TargetGroup"),
                }],
                "PropagateTags": "SERVICE",
                "EnableECSManagedTags": true,
            }),
        )
        .show(json!({
            "name": name,
            "desired": service.desired,
            "subnets": "private",
            "public_ip": false,
            "circuit_breaker": "rollback",
        }));
        // The target group must belong to a listener before a service can register with it.
        ecs_service = ecs_service.after("HttpListener");
        if self.answers.domain.is_some() {
            ecs_service = ecs_service.after("HttpsListener");
        }
        self.push(ecs_service);
    }

    fn autoscaling(&mut self) {
        let Some(scaling) = self.answers.service.autoscaling else {
            return;
        };
        let name = self.name().to_string();
        self.push(
            Resource::new(
                "ScalableTarget",
                "AWS::ApplicationAutoScaling::ScalableTarget",
                json!({
                    "ServiceNamespace": "ecs",
                    "ScalableDimension": "ecs:service:DesiredCount",
                    "ResourceId": sub("service/${Cluster}/${Service.Name}"),
                    "MinCapacity": scaling.min,
                    "MaxCapacity": scaling.max,
                }),
            )
            .show(json!({ "min": scaling.min, "max": scaling.max })),
        );
        self.push(
            Resource::new(
                "CpuScalingPolicy",
                "AWS::ApplicationAutoScaling::ScalingPolicy",
                json!({
                    "PolicyName": format!("{name}-cpu"),
                    "PolicyType": "TargetTrackingScaling",
                    "ScalingTargetId": r("ScalableTarget"),
                    "TargetTrackingScalingPolicyConfiguration": {
                        "PredefinedMetricSpecification": {
                            "PredefinedMetricType": "ECSServiceAverageCPUUtilization",
                        },
                        "TargetValue": scaling.cpu_target,
                        "ScaleInCooldown": 300,
                        "ScaleOutCooldown": 60,
                    },
                }),
            )
            .show(json!({ "cpu_target": scaling.cpu_target })),
        );
    }

    fn alarms(&mut self) {
        let name = self.name().to_string();
        let actions = match self.answers.alarms.email.clone() {
            Some(email) => {
                self.push(
                    Resource::new(
                        "AlarmTopic",
                        "AWS::SNS::Topic",
                        json!({ "DisplayName": format!("{name} alarms") }),
                    )
                    .named(format!("{name}-alarms"))
                    .show(json!({ "notifies": email })),
                );
                self.push(
                    Resource::new(
                        "AlarmEmail",
                        "AWS::SNS::Subscription",
                        json!({ "TopicArn": r("AlarmTopic"), "Protocol": "email", "Endpoint": email }),
                    )
                    .show(json!({ "email": email })),
                );
                json!([r("AlarmTopic")])
            }
            None => json!([]),
        };
        let service_dimensions = json!([
            { "Name": "ClusterName", "Value": r("Cluster") },
            { "Name": "ServiceName", "Value": att("Service", "Name") },
        ]);
        let mut alarms = vec![
            Alarm {
                id: "ServiceCpuAlarm",
                what: "service CPU above 80% for 5 minutes",
                namespace: "AWS/ECS",
                metric: "CPUUtilization",
                statistic: "Average",
                comparison: "GreaterThanThreshold",
                threshold: json!(80),
                periods: 5,
                dimensions: service_dimensions.clone(),
            },
            Alarm {
                id: "ServiceMemoryAlarm",
                what: "service memory above 85% for 5 minutes",
                namespace: "AWS/ECS",
                metric: "MemoryUtilization",
                statistic: "Average",
                comparison: "GreaterThanThreshold",
                threshold: json!(85),
                periods: 5,
                dimensions: service_dimensions,
            },
            Alarm {
                id: "Alb5xxAlarm",
                what: "10 or more 5xx answers from the load balancer in 5 minutes",
                namespace: "AWS/ApplicationELB",
                metric: "HTTPCode_ELB_5XX_Count",
                statistic: "Sum",
                comparison: "GreaterThanOrEqualToThreshold",
                threshold: json!(10),
                periods: 1,
                dimensions: json!([
                    { "Name": "LoadBalancer", "Value": att("LoadBalancer", "LoadBalancerFullName") },
                ]),
            },
            Alarm {
                id: "UnhealthyTargetsAlarm",
                what: "an unhealthy target for 3 minutes",
                namespace: "AWS/ApplicationELB",
                metric: "UnHealthyHostCount",
                statistic: "Maximum",
                comparison: "GreaterThanThreshold",
                threshold: json!(0),
                periods: 3,
                dimensions: json!([
                    { "Name": "LoadBalancer", "Value": att("LoadBalancer", "LoadBalancerFullName") },
                    { "Name": "TargetGroup", "Value": att("TargetGroup", "TargetGroupFullName") },
                ]),
            },
        ];
        if let Some(postgres) = self.has_postgres() {
            let db = json!([{ "Name": "DBInstanceIdentifier", "Value": r("Database") }]);
            alarms.push(Alarm {
                id: "DatabaseCpuAlarm",
                what: "database CPU above 80% for 10 minutes",
                namespace: "AWS/RDS",
                metric: "CPUUtilization",
                statistic: "Average",
                comparison: "GreaterThanThreshold",
                threshold: json!(80),
                periods: 10,
                dimensions: db.clone(),
            });
            // A tenth of the allocated storage, in bytes as RDS reports it.
            let low_storage = u64::from(postgres.storage_gb) * 1024 * 1024 * 1024 / 10;
            alarms.push(Alarm {
                id: "DatabaseStorageAlarm",
                what: "database free storage below 10%",
                namespace: "AWS/RDS",
                metric: "FreeStorageSpace",
                statistic: "Minimum",
                comparison: "LessThanThreshold",
                threshold: json!(low_storage),
                periods: 5,
                dimensions: db,
            });
        }
        for alarm in alarms {
            self.push(
                Resource::new(
                    alarm.id,
                    "AWS::CloudWatch::Alarm",
                    json!({
                        "AlarmDescription": format!("{name}: {}", alarm.what),
                        "Namespace": alarm.namespace,
                        "MetricName": alarm.metric,
                        "Dimensions": alarm.dimensions,
                        "Statistic": alarm.statistic,
                        "Period": 60,
                        "EvaluationPeriods": alarm.periods,
                        "Threshold": alarm.threshold,
                        "ComparisonOperator": alarm.comparison,
                        "TreatMissingData": "notBreaching",
                        "AlarmActions": actions,
                        "OKActions": actions,
                    }),
                )
                .show(json!({ "when": alarm.what })),
            );
        }
    }

    /// The static site: a private bucket, read only by the distribution through an Origin
    /// Access Control, and with a name of its own its certificate and alias records.
    fn site(&mut self) {
        let Some(site) = self.answers.site.clone() else {
            return;
        };
        let name = self.name().to_string();
        let region = self.answers.region.clone();
        self.push(
            Resource::new(
                "SiteBucket",
                "AWS::S3::Bucket",
                json!({
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": true,
                        "BlockPublicPolicy": true,
                        "IgnorePublicAcls": true,
                        "RestrictPublicBuckets": true,
                    },
                    "BucketEncryption": {
                        "ServerSideEncryptionConfiguration": [{
                            "ServerSideEncryptionByDefault": { "SSEAlgorithm": "AES256" },
                        }],
                    },
                    "OwnershipControls": {
                        "Rules": [{ "ObjectOwnership": "BucketOwnerEnforced" }],
                    },
                }),
            )
            .named(format!("{name}-site"))
            .show(json!({
                "public_access": "blocked",
                "encryption": "SSE-S3",
                "ownership": "BucketOwnerEnforced",
            })),
        );
        self.push(
            Resource::new(
                "SiteOriginAccessControl",
                "AWS::CloudFront::OriginAccessControl",
                json!({
                    "OriginAccessControlConfig": {
                        "Name": format!("{name}-site"),
                        "Description": format!("CloudFront reads the {name} site's bucket"),
                        "OriginAccessControlOriginType": "s3",
                        "SigningBehavior": "always",
                        "SigningProtocol": "sigv4",
                    },
                }),
            )
            .show(json!({ "origin_type": "s3", "signing": "sigv4, always" })),
        );
        let mut config = json!({
            "Enabled": true,
            "Comment": format!("{name} site"),
            "DefaultRootObject": "index.html",
            "HttpVersion": "http2and3",
            "IPV6Enabled": true,
            "PriceClass": site.price_class,
            "Origins": [{
                "Id": SITE_ORIGIN_ID,
                "DomainName": att("SiteBucket", "RegionalDomainName"),
                "OriginAccessControlId": att("SiteOriginAccessControl", "Id"),
                // Empty: the bucket is reached through the Origin Access Control, not a
                // legacy Origin Access Identity.
                "S3OriginConfig": { "OriginAccessIdentity": "" },
            }],
            "DefaultCacheBehavior": {
                "TargetOriginId": SITE_ORIGIN_ID,
                "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": CACHING_OPTIMIZED_POLICY,
                "Compress": true,
                "AllowedMethods": ["GET", "HEAD"],
                "CachedMethods": ["GET", "HEAD"],
            },
        });
        let mut shown = json!({
            "origin": "SiteBucket via SiteOriginAccessControl",
            "viewer": "redirect-to-https",
            "cache_policy": "CachingOptimized",
            "http": "http2and3",
            "ipv6": true,
            "price_class": site.price_class,
            "root": "index.html",
        });
        if site.spa {
            // The bucket answers 403 for a key it does not have (CloudFront may not list it):
            // both go to the app, which routes the path itself.
            config["CustomErrorResponses"] = json!(
                [403, 404]
                    .iter()
                    .map(|code| json!({
                        "ErrorCode": code,
                        "ResponseCode": 200,
                        "ResponsePagePath": "/index.html",
                        "ErrorCachingMinTTL": 10,
                    }))
                    .collect::<Vec<_>>()
            );
            shown["spa"] = json!("403/404 -> /index.html 200");
        }
        if let Some(domain) = &site.domain {
            let source = site.certificate(&region);
            let certificate = match &source {
                SiteCertificate::Given(arn) => Value::String(arn.clone()),
                SiteCertificate::EdgeStack | SiteCertificate::CloudFront => {
                    self.parameters.push(Parameter {
                        name: SITE_CERTIFICATE_PARAMETER,
                        kind: "String",
                        description: format!(
                            "The CloudFront certificate of {domain} in us-east-1, from the \
                             stack {}",
                            edge_stack_name(&name)
                        ),
                        default: None,
                        no_echo: false,
                    });
                    r(SITE_CERTIFICATE_PARAMETER)
                }
                SiteCertificate::InStack => {
                    self.push(site_certificate(domain, &region, "CloudFront".into()));
                    r("SiteCertificate")
                }
            };
            config["Aliases"] = json!([domain]);
            config["ViewerCertificate"] = json!({
                "AcmCertificateArn": certificate,
                "SslSupportMethod": "sni-only",
                "MinimumProtocolVersion": "TLSv1.2_2021",
            });
            shown["aliases"] = json!([domain]);
            shown["certificate"] = match &source {
                SiteCertificate::Given(arn) => json!(arn),
                SiteCertificate::InStack => json!("SiteCertificate"),
                _ => json!(format!("{} (us-east-1)", edge_stack_name(&name))),
            };
            shown["tls"] = json!("TLSv1.2_2021, sni-only");
        }
        self.push(
            Resource::new(
                "SiteDistribution",
                "AWS::CloudFront::Distribution",
                json!({ "DistributionConfig": config }),
            )
            .named(format!("{name}-site"))
            .show(shown),
        );
        self.push(
            Resource::new(
                "SiteBucketPolicy",
                "AWS::S3::BucketPolicy",
                json!({
                    "Bucket": r("SiteBucket"),
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Sid": "AllowCloudFrontServicePrincipalReadOnly",
                            "Effect": "Allow",
                            "Principal": { "Service": "cloudfront.amazonaws.com" },
                            "Action": "s3:GetObject",
                            "Resource": sub("${SiteBucket.Arn}/*"),
                            "Condition": {
                                "StringEquals": {
                                    "AWS:SourceArn": sub(
                                        "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${SiteDistribution}",
                                    ),
                                },
                            },
                        }],
                    },
                }),
            )
            .show(json!({
                "allows": "cloudfront.amazonaws.com s3:GetObject",
                "only_for": "SiteDistribution",
            })),
        );
        if let Some(domain) = &site.domain {
            for (id, record_type) in [("SiteDnsRecord", "A"), ("SiteDnsRecordIpv6", "AAAA")] {
                self.push(
                    Resource::new(
                        id,
                        "AWS::Route53::RecordSet",
                        json!({
                            "HostedZoneId": r(HOSTED_ZONE_PARAMETER),
                            "Name": domain,
                            "Type": record_type,
                            "AliasTarget": {
                                "DNSName": att("SiteDistribution", "DomainName"),
                                "HostedZoneId": CLOUDFRONT_HOSTED_ZONE,
                            },
                        }),
                    )
                    .show(
                        json!({ "name": domain, "type": record_type, "alias": "SiteDistribution" }),
                    ),
                );
            }
        }
    }

    fn outputs(&mut self) {
        let name = self.name().to_string();
        let url = match &self.answers.domain {
            Some(domain) => Value::String(format!("https://{}", domain.name)),
            None => sub("http://${LoadBalancer.DNSName}"),
        };
        let mut outputs = vec![
            (
                "LoadBalancerDnsName",
                "The load balancer's DNS name".to_string(),
                att("LoadBalancer", "DNSName"),
            ),
            ("AppUrl", "Where the app answers".to_string(), url),
            ("ClusterName", "The ECS cluster".to_string(), r("Cluster")),
            (
                "ServiceName",
                "The ECS service".to_string(),
                att("Service", "Name"),
            ),
            (
                "LogGroupName",
                "The service's log group".to_string(),
                r("LogGroup"),
            ),
        ];
        if self.has_postgres().is_some() {
            outputs.push((
                "DatabaseEndpoint",
                format!("The {name} database's address"),
                att("Database", "Endpoint.Address"),
            ));
        }
        if matches!(self.answers.service.image, Image::NewRepository(_)) {
            outputs.push((
                "ImageRepositoryUri",
                "Where to push the app's images".to_string(),
                att("ImageRepository", "RepositoryUri"),
            ));
        }
        if let Some(site) = &self.answers.site {
            outputs.push((
                "SiteBucketName",
                "The site's bucket: `opsdeck site deploy` uploads to it".to_string(),
                r("SiteBucket"),
            ));
            outputs.push((
                "SiteDistributionId",
                "The site's CloudFront distribution".to_string(),
                r("SiteDistribution"),
            ));
            outputs.push((
                "SiteDistributionDomainName",
                "The distribution's own name (*.cloudfront.net)".to_string(),
                att("SiteDistribution", "DomainName"),
            ));
            let url = match &site.domain {
                Some(domain) => Value::String(format!("https://{domain}")),
                None => sub("https://${SiteDistribution.DomainName}"),
            };
            outputs.push(("SiteUrl", "Where the site answers".to_string(), url));
        }
        self.outputs = outputs;
    }
}

/// The companion stack in us-east-1 of a stack elsewhere with a site name: the site's
/// CloudFront certificate, DNS-validated in the stack's zone, and its ARN as an output.
pub fn edge_model(answers: &Answers) -> Option<StackModel> {
    let site = answers.site.as_ref()?;
    if site.certificate(&answers.region) != SiteCertificate::EdgeStack {
        return None;
    }
    let domain = site.domain.clone()?;
    let zone = answers.domain.as_ref()?;
    let mut edge_answers = answers.clone();
    edge_answers.name = edge_stack_name(&answers.name);
    edge_answers.region = super::answers::CLOUDFRONT_CERTIFICATE_REGION.to_string();
    let mut model = StackModel {
        answers: edge_answers,
        public_subnets: Vec::new(),
        private_subnets: Vec::new(),
        parameters: vec![Parameter {
            name: HOSTED_ZONE_PARAMETER,
            kind: "AWS::Route53::HostedZone::Id",
            description: format!(
                "The id of the Route53 hosted zone {}; bootstrap looks it up by name",
                zone.hosted_zone
            ),
            default: zone.hosted_zone_id.clone(),
            no_echo: false,
        }],
        resources: Vec::new(),
        outputs: Vec::new(),
    };
    model.push(site_certificate(
        &domain,
        "us-east-1",
        format!("CloudFront in {}", answers.name),
    ));
    model.outputs.push((
        EDGE_CERTIFICATE_OUTPUT,
        format!(
            "The CloudFront certificate of {domain}, for the stack {}",
            answers.name
        ),
        r("SiteCertificate"),
    ));
    Some(model)
}

struct Alarm {
    id: &'static str,
    what: &'static str,
    namespace: &'static str,
    metric: &'static str,
    statistic: &'static str,
    comparison: &'static str,
    threshold: Value,
    periods: u32,
    dimensions: Value,
}

/// PostgreSQL database names take letters, digits and underscores.
pub fn database_name(stack: &str) -> String {
    stack.replace('-', "_")
}

/// The repository ARN of an image in ECR (`ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG`),
/// so the execution role can pull from that repository only; None for other registries.
fn ecr_arn_of(reference: &str) -> Option<Value> {
    let (host, path) = reference.split_once('/')?;
    let mut parts = host.split('.');
    let account = parts.next()?;
    if parts.next()? != "dkr" || parts.next()? != "ecr" {
        return None;
    }
    let region = parts.next()?;
    let without_digest = path.split('@').next().unwrap_or(path);
    let repository = without_digest
        .rsplit_once(':')
        .map_or(without_digest, |(repo, _)| repo);
    Some(Value::String(format!(
        "arn:aws:ecr:{region}:{account}:repository/{repository}"
    )))
}

/// The site's certificate, validated through the hosted zone's DNS: in the stack itself in
/// us-east-1, else in the `<stack>-edge` stack there (CloudFront takes only those).
fn site_certificate(domain: &str, region: &str, purpose: String) -> Resource {
    Resource::new(
        "SiteCertificate",
        "AWS::CertificateManager::Certificate",
        json!({
            "DomainName": domain,
            "ValidationMethod": "DNS",
            "DomainValidationOptions": [{
                "DomainName": domain,
                "HostedZoneId": r(HOSTED_ZONE_PARAMETER),
            }],
        }),
    )
    .named(domain)
    .show(json!({
        "domain": domain,
        "validation": "DNS",
        "region": region,
        "for": purpose,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ecr_image_scopes_the_pull_to_its_repository() {
        let arn = |reference: &str| ecr_arn_of(reference).map(|v| v.as_str().unwrap().to_string());
        let expected = Some("arn:aws:ecr:eu-west-2:123456789012:repository/team/notes".to_string());
        assert_eq!(
            arn("123456789012.dkr.ecr.eu-west-2.amazonaws.com/team/notes:2.0.1"),
            expected
        );
        assert_eq!(
            arn("123456789012.dkr.ecr.eu-west-2.amazonaws.com/team/notes@sha256:ab12"),
            expected
        );
        assert_eq!(arn("ghcr.io/example/shop:1.4.2"), None);
        assert_eq!(arn("nginx:1.27"), None);
    }

    #[test]
    fn database_names_take_no_hyphens() {
        assert_eq!(database_name("static-site"), "static_site");
    }
}
