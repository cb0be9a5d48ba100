//! The bootstrap answers (`stack.toml`): read, defaulted and checked, each error naming the
//! file, the line, the field and what is valid.

use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use crate::config::source::{
    Located, SourceFile, Value, boolean, in_file_order, integer, non_empty_string, sub_table,
    unknown_field, wrong_type,
};

/// Every region with the services the stack needs (ECS Fargate, ALB, RDS, ACM).
pub const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
];

/// RDS for PostgreSQL minors that are not deprecated, by major (the ones cfn-lint 1.58 and
/// the RDS release calendar list as creatable). Older minors of these majors and every
/// minor of 13 and below are refused: RDS will not create them.
pub const POSTGRES_VERSIONS: &[(u32, &[u32])] = &[
    (18, &[1, 2, 3, 4, 6]),
    (17, &[5, 6, 7, 8, 9, 10, 11]),
    (16, &[9, 10, 11, 12, 13, 14, 15]),
    (15, &[13, 14, 15, 16, 17, 18, 19]),
    (14, &[18, 19, 20, 21, 22, 23, 24]),
];

/// Instance families that run PostgreSQL on RDS, and the sizes each one comes in.
const DB_FAMILIES: &[(&str, &[&str])] = &[
    (
        "t3",
        &["micro", "small", "medium", "large", "xlarge", "2xlarge"],
    ),
    (
        "t4g",
        &["micro", "small", "medium", "large", "xlarge", "2xlarge"],
    ),
    (
        "m5",
        &[
            "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge",
        ],
    ),
    (
        "m6g",
        &[
            "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
        ],
    ),
    (
        "m6i",
        &[
            "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge",
            "32xlarge",
        ],
    ),
    (
        "m7g",
        &[
            "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
        ],
    ),
    (
        "r5",
        &[
            "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge",
        ],
    ),
    (
        "r6g",
        &[
            "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
        ],
    ),
    (
        "r6i",
        &[
            "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge",
            "32xlarge",
        ],
    ),
    (
        "r7g",
        &[
            "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge",
        ],
    ),
];

/// CloudWatch Logs accepts only these retention periods.
const LOG_RETENTION_DAYS: &[i64] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// The ALB is named after the stack, and ALB names stop at 32 characters.
const NAME_MAX: usize = 32;
/// AWS does not make subnets smaller than /28 (16 addresses, 5 of them reserved).
const SMALLEST_SUBNET: u8 = 28;

const TOP_FIELDS: &[&str] = &[
    "name", "region", "network", "service", "database", "domain", "alarms", "site",
];
const NETWORK_FIELDS: &[&str] = &["cidr", "azs", "nat"];
const SERVICE_FIELDS: &[&str] = &[
    "image",
    "tag",
    "port",
    "health_check",
    "cpu",
    "memory",
    "desired",
    "environment",
    "autoscaling",
    "log_retention_days",
];
const AUTOSCALING_FIELDS: &[&str] = &["min", "max", "cpu_target"];
const DATABASE_FIELDS: &[&str] = &[
    "kind",
    "version",
    "class",
    "storage_gb",
    "multi_az",
    "backup_days",
    "deletion_protection",
    "connection_string",
];
const DOMAIN_FIELDS: &[&str] = &["name", "hosted_zone", "hosted_zone_id"];
const ALARMS_FIELDS: &[&str] = &["email"];
const SITE_FIELDS: &[&str] = &["domain", "price_class", "spa", "certificate_arn"];
/// CloudFront's price classes: which edge locations serve the site.
pub const PRICE_CLASSES: &[&str] = &["PriceClass_100", "PriceClass_200", "PriceClass_All"];
/// CloudFront takes its viewer certificates from ACM in this region only.
pub const CLOUDFRONT_CERTIFICATE_REGION: &str = "us-east-1";

/// The answers of one stack, every one checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answers {
    pub name: String,
    pub region: String,
    pub network: Network,
    pub service: Service,
    pub database: Database,
    pub domain: Option<Domain>,
    pub alarms: Alarms,
    /// A static site (S3 behind CloudFront) in the same stack; none unless `[site]` is there.
    pub site: Option<Site>,
}

/// A static site: a private bucket served by a CloudFront distribution through an Origin
/// Access Control.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// A name of its own under the `[domain]` zone (`app.example.com`), served over HTTPS
    /// with an ACM certificate in us-east-1; none: the `*.cloudfront.net` name only.
    pub domain: Option<String>,
    /// `PriceClass_100` (North America and Europe, the cheapest), `_200` or `_All`.
    pub price_class: String,
    /// A single-page app: 403 and 404 answer `/index.html` with 200, so the app routes.
    pub spa: bool,
    /// An ACM certificate in us-east-1 that covers `domain`, made beforehand. Without it
    /// the certificate is made: by the stack in us-east-1, elsewhere by a companion stack
    /// in us-east-1 (a stack cannot make a resource outside its own region).
    pub certificate_arn: Option<String>,
}

/// Where the certificate of a site's name comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SiteCertificate {
    /// No name of its own: CloudFront's `*.cloudfront.net` certificate.
    CloudFront,
    /// `site.certificate_arn`.
    Given(String),
    /// The stack makes it (the stack is in us-east-1).
    InStack,
    /// The companion stack `<name>-edge` in us-east-1 makes it first.
    EdgeStack,
}

impl Site {
    pub fn certificate(&self, region: &str) -> SiteCertificate {
        match (&self.domain, &self.certificate_arn) {
            (None, _) => SiteCertificate::CloudFront,
            (Some(_), Some(arn)) => SiteCertificate::Given(arn.clone()),
            (Some(_), None) if region == CLOUDFRONT_CERTIFICATE_REGION => SiteCertificate::InStack,
            (Some(_), None) => SiteCertificate::EdgeStack,
        }
    }

    /// The certificate the stack itself makes: a site name in us-east-1 with none given.
    pub fn makes_certificate(&self, region: &str) -> bool {
        self.certificate(region) == SiteCertificate::InStack
    }
}

/// The companion stack in us-east-1 that holds the CloudFront certificate of a stack in
/// another region.
pub fn edge_stack_name(stack: &str) -> String {
    format!("{stack}-edge")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    pub cidr: Cidr,
    pub azs: u8,
    pub nat: NatChoice,
}

/// One NAT gateway for the stack (cheaper; the private subnets lose the internet when its AZ
/// fails) or one per AZ (each AZ keeps its own way out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NatChoice {
    Single,
    PerAz,
}

impl NatChoice {
    pub fn label(self) -> &'static str {
        match self {
            NatChoice::Single => "single",
            NatChoice::PerAz => "per-az",
        }
    }
}

/// An IPv4 block such as 10.0.0.0/16, its host bits zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub base: Ipv4Addr,
    pub prefix: u8,
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix)
    }
}

impl Cidr {
    /// The `index`-th block of length `prefix` inside this one.
    pub fn subnet(&self, prefix: u8, index: u32) -> Cidr {
        let size = 1u64 << (32 - u32::from(prefix));
        let start = u64::from(u32::from(self.base)) + size * u64::from(index);
        // Callers carve inside the block, so the address fits in 32 bits.
        Cidr {
            base: Ipv4Addr::from(u32::try_from(start).unwrap_or(u32::MAX)),
            prefix,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub image: Image,
    /// With an ECR repository: the tag to run; the newest pushed tag when not given.
    pub tag: Option<String>,
    pub port: u16,
    pub health_check: String,
    pub cpu: u32,
    pub memory: u32,
    pub desired: u32,
    pub environment: BTreeMap<String, String>,
    pub autoscaling: Option<Autoscaling>,
    pub log_retention_days: u32,
}

/// Where the service's image comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Image {
    /// An ECR repository the stack creates; the first deploy pushes to it.
    NewRepository(String),
    /// An image that already exists somewhere (`ghcr.io/org/app:1.2`, `nginx:1.27`).
    Reference(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Autoscaling {
    pub min: u32,
    pub max: u32,
    pub cpu_target: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    None,
    Postgres(Postgres),
    External { connection_string: SecretText },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Postgres {
    pub version: String,
    pub class: String,
    pub storage_gb: u32,
    pub multi_az: bool,
    pub backup_days: u32,
    pub deletion_protection: bool,
}

impl Default for Postgres {
    fn default() -> Self {
        Postgres {
            version: "17.6".into(),
            class: "db.t3.micro".into(),
            storage_gb: 20,
            multi_az: false,
            backup_days: 7,
            deletion_protection: true,
        }
    }
}

/// A value that must never be printed: Debug shows its length only, and it has no Display.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretText(String);

impl SecretText {
    /// The value itself, for the one place that hands it to CloudFormation.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SecretText(<{} characters hidden>)",
            self.0.chars().count()
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    pub name: String,
    pub hosted_zone: String,
    /// Known already, or looked up by the apply from `hosted_zone`.
    pub hosted_zone_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Alarms {
    pub email: Option<String>,
}

/// A mistake in the answer file: `file:line:column: field: what is valid`. Line and column
/// are 1-based; both 0 only when the file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", file.display())]
pub struct AnswersError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Answers {
    /// Reads and checks the answer file at `path`.
    pub fn load(path: &Path) -> Result<Answers, AnswersError> {
        let text = std::fs::read_to_string(path).map_err(|err| AnswersError {
            file: path.to_path_buf(),
            line: 0,
            column: 0,
            message: format!("cannot read the answer file: {err}"),
        })?;
        Answers::parse(&text, path)
    }

    /// Checks the text of an answer file; `file` only names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<Answers, AnswersError> {
        let source = SourceFile::new(file, text);
        parse_answers(source).map_err(|located| {
            let (line, column) = source.line_column(located.span.start);
            AnswersError {
                file: file.to_path_buf(),
                line,
                column,
                message: located.message,
            }
        })
    }
}

fn parse_answers(source: SourceFile<'_>) -> Result<Answers, Located> {
    let document = source.parse()?;
    let mut name = None;
    let mut region = "eu-west-2".to_string();
    let mut network = None;
    let mut service = None;
    let mut database = Database::Postgres(Postgres::default());
    let mut domain = None;
    let mut alarms = Alarms::default();
    let mut site = None;
    for (key, value) in in_file_order(document.get_ref()) {
        match key.get_ref().as_ref() {
            "name" => name = Some(stack_name(value)?),
            "region" => region = region_name(value)?,
            "network" => network = Some((sub_table("network", value)?, value.span())),
            "service" => service = Some(sub_table("service", value)?),
            "database" => database = parse_database(sub_table("database", value)?)?,
            "domain" => domain = Some(parse_domain(sub_table("domain", value)?, value.span())?),
            "alarms" => alarms = parse_alarms(sub_table("alarms", value)?)?,
            "site" => site = Some(parse_site(sub_table("site", value)?)?),
            _ => return Err(unknown_field(key, "", TOP_FIELDS)),
        }
    }
    let name = name.ok_or_else(|| {
        Located::new(
            0..0,
            "name: missing; give the stack's name, e.g. name = \"umami\" (letters, digits and \
             hyphens, starting with a letter, at most 32)",
        )
    })?;
    let network = match network {
        Some((table, span)) => parse_network(table, span)?,
        None => default_network(),
    };
    let service = service.ok_or_else(|| {
        Located::new(
            0..0,
            "service.image: missing; add a [service] table with image = \"NAME\" (an ECR \
             repository to create) or a full image reference",
        )
    })?;
    let service = parse_service(service, &database)?;
    let site = match site {
        Some(parsed) => Some(check_site(parsed, domain.as_ref())?),
        None => None,
    };
    Ok(Answers {
        name,
        region,
        network,
        service,
        database,
        domain,
        alarms,
        site,
    })
}

fn default_network() -> Network {
    Network {
        cidr: Cidr {
            base: Ipv4Addr::new(10, 0, 0, 0),
            prefix: 16,
        },
        azs: 2,
        nat: NatChoice::Single,
    }
}

fn stack_name(value: &Value<'_>) -> Result<String, Located> {
    let name = non_empty_string("name", value)?;
    let valid = "letters, digits and hyphens, starting with a letter, not ending with a hyphen, \
                 at most 32 characters (the stack, the ECS cluster and service and the load \
                 balancer are named after it)";
    let first_is_letter = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    let allowed = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !first_is_letter || !allowed || name.ends_with('-') || name.len() > NAME_MAX {
        return Err(Located::new(
            value.span(),
            format!("name: {name:?} is not a usable stack name; give {valid}"),
        ));
    }
    Ok(name)
}

fn region_name(value: &Value<'_>) -> Result<String, Located> {
    let region = non_empty_string("region", value)?;
    if !REGIONS.contains(&region.as_str()) {
        return Err(Located::new(
            value.span(),
            format!(
                "region: {region:?} is not an AWS region; give one of: {}",
                REGIONS.join(", ")
            ),
        ));
    }
    Ok(region)
}

fn parse_network(table: &DeTable<'_>, span: Range<usize>) -> Result<Network, Located> {
    let mut network = default_network();
    let mut cidr_at = span;
    for (key, value) in in_file_order(table) {
        match key.get_ref().as_ref() {
            "cidr" => {
                network.cidr = cidr(value)?;
                cidr_at = value.span();
            }
            "azs" => {
                let azs = integer("network.azs", value)?;
                if !(2..=3).contains(&azs) {
                    return Err(Located::new(
                        value.span(),
                        format!("network.azs: {azs} AZs is not offered; give 2 or 3"),
                    ));
                }
                network.azs = if azs == 2 { 2 } else { 3 };
            }
            "nat" => {
                network.nat = match non_empty_string("network.nat", value)?.as_str() {
                    "single" => NatChoice::Single,
                    "per-az" => NatChoice::PerAz,
                    other => {
                        return Err(Located::new(
                            value.span(),
                            format!(
                                "network.nat: {other:?} is not a NAT choice; give \"single\" \
                                 (one NAT gateway, cheaper) or \"per-az\" (one per AZ, survives \
                                 an AZ failure)"
                            ),
                        ));
                    }
                }
            }
            _ => return Err(unknown_field(key, "network.", NETWORK_FIELDS)),
        }
    }
    subnets_fit(network.cidr, network.azs, cidr_at)?;
    Ok(network)
}

/// How the VPC is carved: `2 × azs` equal subnets, the public ones first, then the private
/// ones; 4 blocks for 2 AZs, 8 for 3 (two left free for later).
pub fn subnet_prefix(cidr: Cidr, azs: u8) -> u8 {
    let blocks_bits = if azs <= 2 { 2 } else { 3 };
    cidr.prefix + blocks_bits
}

fn subnets_fit(cidr: Cidr, azs: u8, span: Range<usize>) -> Result<(), Located> {
    let prefix = subnet_prefix(cidr, azs);
    let subnets = 2 * azs;
    let carving = format!(
        "{azs} AZs need {subnets} subnets (a public and a private one per AZ), carved as equal \
         /{prefix} blocks, public first"
    );
    if prefix > SMALLEST_SUBNET {
        let largest_prefix = SMALLEST_SUBNET - (prefix - cidr.prefix);
        return Err(Located::new(
            span,
            format!(
                "network.cidr: {cidr} is too small: {carving}, and AWS makes no subnet smaller \
                 than /{SMALLEST_SUBNET}; give a /16 to /{} block",
                largest_prefix.min(24)
            ),
        ));
    }
    if !(16..=24).contains(&cidr.prefix) {
        return Err(Located::new(
            span,
            format!(
                "network.cidr: {cidr} is outside what a VPC takes here; give an IPv4 block from \
                 /16 (65,536 addresses) to /24 (256), e.g. \"10.0.0.0/16\" ({carving})"
            ),
        ));
    }
    Ok(())
}

fn cidr(value: &Value<'_>) -> Result<Cidr, Located> {
    let text = non_empty_string("network.cidr", value)?;
    let bad = || {
        Located::new(
            value.span(),
            format!(
                "network.cidr: {text:?} is not an IPv4 CIDR block; give an address and a prefix \
                 length from /16 to /24, e.g. \"10.0.0.0/16\""
            ),
        )
    };
    let (address, prefix) = text.split_once('/').ok_or_else(bad)?;
    let address: Ipv4Addr = address.parse().map_err(|_| bad())?;
    let prefix: u8 = prefix.parse().map_err(|_| bad())?;
    if prefix > 32 {
        return Err(bad());
    }
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    };
    let base = Ipv4Addr::from(u32::from(address) & mask);
    if base != address {
        return Err(Located::new(
            value.span(),
            format!(
                "network.cidr: {text:?} has host bits set; give the block's first address, \
                 \"{base}/{prefix}\""
            ),
        ));
    }
    Ok(Cidr { base, prefix })
}

fn parse_service(table: &DeTable<'_>, database: &Database) -> Result<Service, Located> {
    let mut image = None;
    let mut service = Service {
        image: Image::NewRepository(String::new()),
        tag: None,
        port: 80,
        health_check: "/".into(),
        cpu: 256,
        memory: 512,
        desired: 2,
        environment: BTreeMap::new(),
        autoscaling: None,
        log_retention_days: 30,
    };
    let mut cpu_at = None;
    let mut autoscaling_at = 0..0;
    let mut desired_at = None;
    let mut tag_at = None;
    for (key, value) in in_file_order(table) {
        match key.get_ref().as_ref() {
            "image" => image = Some(parse_image(value)?),
            "tag" => {
                tag_at = Some(value.span());
                let tag = non_empty_string("service.tag", value)?;
                // Docker's rule for a tag: a word character, then up to 127 of . - and them.
                let valid = tag.len() <= 128
                    && tag.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                    && tag
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
                if !valid {
                    return Err(Located::new(
                        value.span(),
                        format!(
                            "service.tag: {tag:?} is not an image tag; give up to 128 letters, \
                             digits, _ . and -, starting with a letter, digit or _"
                        ),
                    ));
                }
                service.tag = Some(tag);
            }
            "port" => {
                let port = integer("service.port", value)?;
                service.port = u16::try_from(port).ok().filter(|p| *p >= 1).ok_or_else(|| {
                    Located::new(
                        value.span(),
                        format!(
                            "service.port: {port} is not a TCP port; give the port the container \
                             listens on, 1 to 65535"
                        ),
                    )
                })?;
            }
            "health_check" => {
                let path = non_empty_string("service.health_check", value)?;
                if !path.starts_with('/') || path.chars().any(|c| c.is_whitespace()) {
                    return Err(Located::new(
                        value.span(),
                        format!(
                            "service.health_check: {path:?} is not a URL path; give the path the \
                             load balancer requests, starting with /, e.g. \"/health\""
                        ),
                    ));
                }
                service.health_check = path;
            }
            "cpu" => {
                service.cpu = count("service.cpu", value)?;
                cpu_at = Some(value.span());
            }
            "memory" => {
                service.memory = count("service.memory", value)?;
                cpu_at = cpu_at.or(Some(value.span()));
            }
            "desired" => {
                service.desired = count("service.desired", value)?;
                desired_at = Some(value.span());
            }
            "environment" => {
                service.environment =
                    environment(sub_table("service.environment", value)?, database)?
            }
            "autoscaling" => {
                autoscaling_at = value.span();
                service.autoscaling = Some(autoscaling(sub_table("service.autoscaling", value)?)?);
            }
            "log_retention_days" => {
                let days = integer("service.log_retention_days", value)?;
                if !LOG_RETENTION_DAYS.contains(&days) {
                    let valid: Vec<String> =
                        LOG_RETENTION_DAYS.iter().map(|d| d.to_string()).collect();
                    return Err(Located::new(
                        value.span(),
                        format!(
                            "service.log_retention_days: {days} is not a CloudWatch Logs \
                             retention; give one of {}",
                            valid.join(", ")
                        ),
                    ));
                }
                service.log_retention_days = u32::try_from(days).unwrap_or(30);
            }
            _ => return Err(unknown_field(key, "service.", SERVICE_FIELDS)),
        }
    }
    service.image = image.ok_or_else(|| {
        Located::new(
            0..0,
            "service.image: missing; give image = \"NAME\" (an ECR repository to create) or a \
             full image reference such as \"ghcr.io/org/app:1.2\"",
        )
    })?;
    if let (Some(span), Image::Reference(reference)) = (tag_at, &service.image) {
        return Err(Located::new(
            span,
            format!(
                "service.tag: only with an ECR repository name; {reference:?} is a full image \
                 reference, so put the tag in it"
            ),
        ));
    }
    if let Some(span) = cpu_at
        && !fargate_pair(service.cpu, service.memory)
    {
        return Err(Located::new(
            span,
            format!(
                "service.cpu/service.memory: cpu {} with memory {} MiB is not a Fargate size; {}",
                service.cpu,
                service.memory,
                fargate_pairs_for(service.cpu)
            ),
        ));
    }
    if let Some(scaling) = service.autoscaling
        && !(scaling.min <= service.desired && service.desired <= scaling.max)
    {
        return Err(Located::new(
            desired_at.unwrap_or(autoscaling_at),
            format!(
                "service.autoscaling: min {} <= desired {} <= max {} does not hold; give a \
                 desired count between min and max",
                scaling.min, service.desired, scaling.max
            ),
        ));
    }
    Ok(service)
}

fn parse_image(value: &Value<'_>) -> Result<Image, Located> {
    let image = non_empty_string("service.image", value)?;
    let looks_like_reference = image.contains(':')
        || image.contains('@')
        || image
            .split('/')
            .next()
            .is_some_and(|host| host.contains('.'));
    if looks_like_reference {
        if image.chars().any(|c| c.is_whitespace()) {
            return Err(Located::new(
                value.span(),
                format!("service.image: {image:?} is not an image reference; remove the spaces"),
            ));
        }
        return Ok(Image::Reference(image));
    }
    // ECR repository names: lowercase, digits, and . _ - / between them.
    let valid = image.len() >= 2
        && image.len() <= 256
        && image.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '/')
        })
        && image.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && image.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !valid {
        return Err(Located::new(
            value.span(),
            format!(
                "service.image: {image:?} is neither an ECR repository name (2 to 256 lowercase \
                 letters, digits and . _ - /, e.g. \"umami\") nor an image reference with a tag \
                 or registry (e.g. \"ghcr.io/umami-software/umami:postgresql-latest\")"
            ),
        ));
    }
    Ok(Image::NewRepository(image))
}

/// The Fargate task sizes: cpu units with the memory (MiB) each allows.
pub fn fargate_pair(cpu: u32, memory: u32) -> bool {
    match cpu {
        256 => matches!(memory, 512 | 1024 | 2048),
        512 => (1024..=4096).contains(&memory) && memory.is_multiple_of(1024),
        1024 => (2048..=8192).contains(&memory) && memory.is_multiple_of(1024),
        2048 => (4096..=16384).contains(&memory) && memory.is_multiple_of(1024),
        4096 => (8192..=30720).contains(&memory) && memory.is_multiple_of(1024),
        8192 => (16384..=61440).contains(&memory) && memory.is_multiple_of(4096),
        16384 => (32768..=122880).contains(&memory) && memory.is_multiple_of(8192),
        _ => false,
    }
}

fn fargate_pairs_for(cpu: u32) -> String {
    let for_cpu = match cpu {
        256 => Some("cpu 256 takes memory 512, 1024 or 2048"),
        512 => Some("cpu 512 takes memory 1024 to 4096 in 1024 steps"),
        1024 => Some("cpu 1024 takes memory 2048 to 8192 in 1024 steps"),
        2048 => Some("cpu 2048 takes memory 4096 to 16384 in 1024 steps"),
        4096 => Some("cpu 4096 takes memory 8192 to 30720 in 1024 steps"),
        8192 => Some("cpu 8192 takes memory 16384 to 61440 in 4096 steps"),
        16384 => Some("cpu 16384 takes memory 32768 to 122880 in 8192 steps"),
        _ => None,
    };
    match for_cpu {
        Some(text) => text.to_string(),
        None => "cpu must be 256, 512, 1024, 2048, 4096, 8192 or 16384 (256 = 0.25 vCPU)".into(),
    }
}

fn environment(
    table: &DeTable<'_>,
    database: &Database,
) -> Result<BTreeMap<String, String>, Located> {
    let mut environment = BTreeMap::new();
    for (key, value) in in_file_order(table) {
        let name = key.get_ref().to_string();
        let field = format!("service.environment.{name}");
        let valid_name = name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_name {
            return Err(Located::new(
                key.span(),
                format!("{field}: not a variable name; give letters, digits and _ (not first)"),
            ));
        }
        // The task definition would hold the name twice, and ECS refuses that.
        let reserved = match database {
            Database::Postgres(_) => RESERVED_POSTGRES,
            Database::External { .. } => RESERVED_EXTERNAL,
            Database::None => &[],
        };
        if reserved.contains(&name.as_str()) {
            return Err(Located::new(
                key.span(),
                format!(
                    "{field}: set by the stack from the database ({}); remove it",
                    reserved.join(", ")
                ),
            ));
        }
        let text = match value.get_ref() {
            DeValue::String(text) => text.to_string(),
            DeValue::Integer(_) | DeValue::Float(_) | DeValue::Boolean(_) => {
                value_text(value.get_ref())
            }
            other => {
                return Err(wrong_type(&field, value.span(), "a string", other));
            }
        };
        environment.insert(name, text);
    }
    Ok(environment)
}

/// The variables the stack fills in from an RDS database.
pub const RESERVED_POSTGRES: &[&str] = &["PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"];
/// The variable the stack fills in from an external database's secret.
pub const RESERVED_EXTERNAL: &[&str] = &["DATABASE_URL"];

fn value_text(value: &DeValue<'_>) -> String {
    match value {
        DeValue::Integer(int) => int.as_str().to_string(),
        DeValue::Float(float) => float.as_str().to_string(),
        DeValue::Boolean(b) => b.to_string(),
        _ => String::new(),
    }
}

fn autoscaling(table: &DeTable<'_>) -> Result<Autoscaling, Located> {
    let mut scaling = Autoscaling {
        min: 1,
        max: 4,
        cpu_target: 60,
    };
    let mut min_at = 0..0;
    for (key, value) in in_file_order(table) {
        match key.get_ref().as_ref() {
            "min" => {
                scaling.min = count("service.autoscaling.min", value)?;
                min_at = value.span();
            }
            "max" => scaling.max = count("service.autoscaling.max", value)?,
            "cpu_target" => {
                let target = count("service.autoscaling.cpu_target", value)?;
                if !(1..=100).contains(&target) {
                    return Err(Located::new(
                        value.span(),
                        format!(
                            "service.autoscaling.cpu_target: {target} is not a CPU percentage; \
                             give 1 to 100"
                        ),
                    ));
                }
                scaling.cpu_target = target;
            }
            _ => {
                return Err(unknown_field(
                    key,
                    "service.autoscaling.",
                    AUTOSCALING_FIELDS,
                ));
            }
        }
    }
    if scaling.min > scaling.max {
        return Err(Located::new(
            min_at,
            format!(
                "service.autoscaling.min: {} is above max {}; give min <= desired <= max",
                scaling.min, scaling.max
            ),
        ));
    }
    if scaling.max == 0 {
        return Err(Located::new(
            min_at,
            "service.autoscaling.max: 0 would never run a task; give at least 1",
        ));
    }
    Ok(scaling)
}

fn parse_database(table: &DeTable<'_>) -> Result<Database, Located> {
    let mut kind = "postgres".to_string();
    let mut kind_at = 0..0;
    let mut postgres = Postgres::default();
    let mut connection_string = None;
    let mut postgres_fields = Vec::new();
    for (key, value) in in_file_order(table) {
        let name = key.get_ref().as_ref();
        if name != "kind" && name != "connection_string" {
            postgres_fields.push((name.to_string(), key.span()));
        }
        match name {
            "kind" => {
                kind = non_empty_string("database.kind", value)?;
                kind_at = value.span();
                if !matches!(kind.as_str(), "postgres" | "none" | "external") {
                    return Err(Located::new(
                        value.span(),
                        format!(
                            "database.kind: {kind:?} is not offered; give \"postgres\" (RDS), \
                             \"none\", or \"external\" (with connection_string)"
                        ),
                    ));
                }
            }
            "version" => postgres.version = postgres_version(value)?,
            "class" => postgres.class = db_class(value)?,
            "storage_gb" => {
                let gb = integer("database.storage_gb", value)?;
                if !(20..=65536).contains(&gb) {
                    return Err(Located::new(
                        value.span(),
                        format!(
                            "database.storage_gb: {gb} GB is outside what gp3 storage takes; give \
                             20 to 65536"
                        ),
                    ));
                }
                postgres.storage_gb = u32::try_from(gb).unwrap_or(20);
            }
            "multi_az" => postgres.multi_az = boolean("database.multi_az", value)?,
            "backup_days" => {
                let days = integer("database.backup_days", value)?;
                if !(0..=35).contains(&days) {
                    return Err(Located::new(
                        value.span(),
                        format!(
                            "database.backup_days: {days} is outside RDS's backup retention; give \
                             0 (no automated backups) to 35 days"
                        ),
                    ));
                }
                postgres.backup_days = u32::try_from(days).unwrap_or(7);
            }
            "deletion_protection" => {
                postgres.deletion_protection = boolean("database.deletion_protection", value)?
            }
            "connection_string" => {
                let text = non_empty_string("database.connection_string", value)?;
                if text.trim().is_empty() || !text.contains("://") {
                    // The value is never echoed: it is a credential.
                    return Err(Located::new(
                        value.span(),
                        "database.connection_string: not a connection string; give a URL such \
                         as \"mongodb+srv://USER:PASSWORD@HOST/DB\" (it is kept in Secrets \
                         Manager and never printed)",
                    ));
                }
                connection_string = Some((SecretText(text), key.span()));
            }
            _ => return Err(unknown_field(key, "database.", DATABASE_FIELDS)),
        }
    }
    match kind.as_str() {
        "postgres" => {
            if let Some((_, span)) = connection_string {
                return Err(Located::new(
                    span,
                    "database.connection_string: only for kind = \"external\"; the RDS \
                     database's credentials are kept by RDS in Secrets Manager",
                ));
            }
            Ok(Database::Postgres(postgres))
        }
        "external" => {
            if let Some((field, span)) = postgres_fields.first() {
                return Err(Located::new(
                    span.clone(),
                    format!(
                        "database.{field}: only for kind = \"postgres\"; an external database \
                         takes only connection_string"
                    ),
                ));
            }
            match connection_string {
                Some((connection_string, _)) => Ok(Database::External { connection_string }),
                None => Err(Located::new(
                    kind_at,
                    "database.connection_string: missing; kind = \"external\" needs \
                     connection_string = \"URL\" (kept in Secrets Manager, passed to the task as \
                     the secret DATABASE_URL)",
                )),
            }
        }
        _ => {
            if let Some((field, span)) = postgres_fields
                .first()
                .cloned()
                .or(connection_string.map(|(_, span)| ("connection_string".into(), span)))
            {
                return Err(Located::new(
                    span,
                    format!("database.{field}: kind = \"none\" takes no other field; remove it"),
                ));
            }
            Ok(Database::None)
        }
    }
}

fn current_versions_text() -> String {
    let majors: Vec<String> = POSTGRES_VERSIONS
        .iter()
        .map(|(major, minors)| {
            let first = minors.first().copied().unwrap_or(0);
            let last = minors.last().copied().unwrap_or(0);
            let contiguous = minors.len() as u32 == last - first + 1;
            if contiguous {
                format!("{major}.{first} to {major}.{last}")
            } else {
                let each: Vec<String> = minors.iter().map(|m| format!("{major}.{m}")).collect();
                each.join(", ")
            }
        })
        .collect();
    majors.join(", ")
}

fn postgres_version(value: &Value<'_>) -> Result<String, Located> {
    let version = non_empty_string("database.version", value)?;
    let parsed = version
        .split_once('.')
        .and_then(|(major, minor)| Some((major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?)));
    let current = current_versions_text();
    let Some((major, minor)) = parsed else {
        return Err(Located::new(
            value.span(),
            format!(
                "database.version: {version:?} is not a PostgreSQL version; give MAJOR.MINOR, \
                 one RDS supports now: {current}"
            ),
        ));
    };
    match POSTGRES_VERSIONS.iter().find(|(m, _)| *m == major) {
        Some((_, minors)) if minors.contains(&minor) => Ok(version),
        Some(_) => Err(Located::new(
            value.span(),
            format!(
                "database.version: {version} is not a current minor of PostgreSQL {major} on \
                 RDS (older minors are deprecated); give one of: {current}"
            ),
        )),
        None if major < 14 => Err(Located::new(
            value.span(),
            format!(
                "database.version: PostgreSQL {major} is deprecated on RDS (new databases \
                 cannot use it); give a current major, 18, 17, 16, 15 or 14: {current}"
            ),
        )),
        None => Err(Located::new(
            value.span(),
            format!(
                "database.version: PostgreSQL {version} is not offered by RDS; give one of: \
                 {current}"
            ),
        )),
    }
}

fn db_class(value: &Value<'_>) -> Result<String, Located> {
    let class = non_empty_string("database.class", value)?;
    let known = class
        .strip_prefix("db.")
        .and_then(|rest| rest.split_once('.'))
        .is_some_and(|(family, size)| {
            DB_FAMILIES
                .iter()
                .any(|(f, sizes)| *f == family && sizes.contains(&size))
        });
    if !known {
        let families: Vec<String> = DB_FAMILIES.iter().map(|(f, _)| format!("db.{f}")).collect();
        return Err(Located::new(
            value.span(),
            format!(
                "database.class: {class:?} is not an RDS PostgreSQL instance class; give \
                 db.FAMILY.SIZE, e.g. db.t3.micro, db.t4g.small, db.m6g.large (families: {})",
                families.join(", ")
            ),
        ));
    }
    Ok(class)
}

fn parse_domain(table: &DeTable<'_>, span: Range<usize>) -> Result<Domain, Located> {
    let mut name = None;
    let mut zone = None;
    let mut zone_id = None;
    for (key, value) in in_file_order(table) {
        match key.get_ref().as_ref() {
            "name" => name = Some((dns_name("domain.name", value)?, value.span())),
            "hosted_zone" => zone = Some(dns_name("domain.hosted_zone", value)?),
            "hosted_zone_id" => {
                let id = non_empty_string("domain.hosted_zone_id", value)?;
                let id = id.strip_prefix("/hostedzone/").unwrap_or(&id).to_string();
                if !(id.starts_with('Z') && id.chars().all(|c| c.is_ascii_alphanumeric())) {
                    return Err(Located::new(
                        value.span(),
                        format!(
                            "domain.hosted_zone_id: {id:?} is not a Route53 hosted zone id; give \
                             the id Route53 shows (Z followed by letters and digits), or remove \
                             it to have it looked up from hosted_zone"
                        ),
                    ));
                }
                zone_id = Some(id);
            }
            _ => return Err(unknown_field(key, "domain.", DOMAIN_FIELDS)),
        }
    }
    let (name, name_at) = name.ok_or_else(|| {
        Located::new(
            span.clone(),
            "domain.name: missing; give the name the app is served at, e.g. \
             name = \"analytics.example.com\"",
        )
    })?;
    let zone = zone.ok_or_else(|| {
        Located::new(
            span,
            "domain.hosted_zone: missing; give the Route53 hosted zone that holds the name, e.g. \
             hosted_zone = \"example.com\"",
        )
    })?;
    if !(name == zone || name.ends_with(&format!(".{zone}"))) {
        return Err(Located::new(
            name_at,
            format!(
                "domain.name: {name} is not inside the hosted zone {zone}; give a name that ends \
                 in .{zone} (or the zone itself)"
            ),
        ));
    }
    Ok(Domain {
        name,
        hosted_zone: zone,
        hosted_zone_id: zone_id,
    })
}

fn dns_name(field: &str, value: &Value<'_>) -> Result<String, Located> {
    let text = non_empty_string(field, value)?;
    let name = text.trim_end_matches('.').to_ascii_lowercase();
    let labels_ok = name.split('.').count() >= 2
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !labels_ok {
        return Err(Located::new(
            value.span(),
            format!(
                "{field}: {text:?} is not a DNS name; give labels of letters, digits and hyphens \
                 joined by dots, e.g. \"analytics.example.com\""
            ),
        ));
    }
    Ok(name)
}

/// `[site]` as written, with where each field was, for the checks against `[domain]` and
/// the region once the whole file is read.
struct ParsedSite {
    site: Site,
    domain_at: Range<usize>,
    certificate_at: Range<usize>,
}

fn parse_site(table: &DeTable<'_>) -> Result<ParsedSite, Located> {
    let mut site = Site {
        domain: None,
        price_class: PRICE_CLASSES[0].to_string(),
        spa: false,
        certificate_arn: None,
    };
    let mut domain_at = 0..0;
    let mut certificate_at = 0..0;
    for (key, value) in in_file_order(table) {
        match key.get_ref().as_ref() {
            "domain" => {
                site.domain = Some(dns_name("site.domain", value)?);
                domain_at = value.span();
            }
            "price_class" => {
                let class = non_empty_string("site.price_class", value)?;
                if !PRICE_CLASSES.contains(&class.as_str()) {
                    return Err(Located::new(
                        value.span(),
                        format!(
                            "site.price_class: {class:?} is not a CloudFront price class; give \
                             \"PriceClass_100\" (North America and Europe, the cheapest), \
                             \"PriceClass_200\" (adds most of Asia, the Middle East and Africa) \
                             or \"PriceClass_All\" (every edge location)"
                        ),
                    ));
                }
                site.price_class = class;
            }
            "spa" => site.spa = boolean("site.spa", value)?,
            "certificate_arn" => {
                let arn = non_empty_string("site.certificate_arn", value)?;
                if let Err(why) = cloudfront_certificate(&arn) {
                    return Err(Located::new(
                        value.span(),
                        format!(
                            "site.certificate_arn: {arn:?} {why}; give the ARN of an ACM \
                             certificate in us-east-1, \
                             arn:aws:acm:us-east-1:ACCOUNT:certificate/ID (CloudFront takes \
                             certificates from there only)"
                        ),
                    ));
                }
                site.certificate_arn = Some(arn);
                certificate_at = value.span();
            }
            _ => return Err(unknown_field(key, "site.", SITE_FIELDS)),
        }
    }
    Ok(ParsedSite {
        site,
        domain_at,
        certificate_at,
    })
}

/// Why an ARN is not one of an ACM certificate CloudFront can use, if it is not.
fn cloudfront_certificate(arn: &str) -> Result<(), &'static str> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [scheme, partition, service, region, account, resource] = parts.as_slice() else {
        return Err("is not an ARN");
    };
    if *scheme != "arn" || !partition.starts_with("aws") || *service != "acm" {
        return Err("is not an ACM certificate ARN");
    }
    if *region != CLOUDFRONT_CERTIFICATE_REGION {
        return Err("is not in us-east-1");
    }
    let id = resource.strip_prefix("certificate/").unwrap_or_default();
    if account.len() != 12
        || !account.chars().all(|c| c.is_ascii_digit())
        || id.is_empty()
        || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err("is not an ACM certificate ARN");
    }
    Ok(())
}

/// The site against the rest of the file: its name in the stack's zone, and a certificate
/// CloudFront can use.
fn check_site(parsed: ParsedSite, domain: Option<&Domain>) -> Result<Site, Located> {
    let ParsedSite {
        site,
        domain_at,
        certificate_at,
    } = parsed;
    let Some(name) = &site.domain else {
        if site.certificate_arn.is_some() {
            return Err(Located::new(
                certificate_at,
                "site.certificate_arn: only with site.domain; without a name of its own the \
                 site is served at its *.cloudfront.net name with CloudFront's certificate",
            ));
        }
        return Ok(site);
    };
    let Some(domain) = domain else {
        return Err(Located::new(
            domain_at,
            format!(
                "site.domain: {name} needs a [domain] table: the site's name goes into its \
                 Route53 hosted zone; add [domain] with name and hosted_zone, or remove \
                 site.domain to serve the site at its *.cloudfront.net name"
            ),
        ));
    };
    let zone = &domain.hosted_zone;
    if !(name == zone || name.ends_with(&format!(".{zone}"))) {
        return Err(Located::new(
            domain_at,
            format!(
                "site.domain: {name} is not inside the hosted zone {zone}; give a name that \
                 ends in .{zone}"
            ),
        ));
    }
    if *name == domain.name {
        return Err(Located::new(
            domain_at,
            format!(
                "site.domain: {name} is the app's name (domain.name), served by the load \
                 balancer; give the site a name of its own, e.g. www.{zone}"
            ),
        ));
    }
    Ok(site)
}

fn parse_alarms(table: &DeTable<'_>) -> Result<Alarms, Located> {
    let mut alarms = Alarms::default();
    for (key, value) in in_file_order(table) {
        match key.get_ref().as_ref() {
            "email" => {
                let email = non_empty_string("alarms.email", value)?;
                let shape_ok = email.split_once('@').is_some_and(|(user, host)| {
                    !user.is_empty()
                        && host.contains('.')
                        && !host.starts_with('.')
                        && !host.ends_with('.')
                        && !host.contains('@')
                }) && !email.chars().any(|c| c.is_whitespace());
                if !shape_ok {
                    return Err(Located::new(
                        value.span(),
                        format!(
                            "alarms.email: {email:?} is not an e-mail address; give one such as \
                             \"ops@example.com\" (SNS sends it a confirmation first)"
                        ),
                    ));
                }
                alarms.email = Some(email);
            }
            _ => return Err(unknown_field(key, "alarms.", ALARMS_FIELDS)),
        }
    }
    Ok(alarms)
}

/// A whole number that cannot be negative: counts, sizes, percentages.
fn count(field: &str, value: &Value<'_>) -> Result<u32, Located> {
    let number = integer(field, value)?;
    u32::try_from(number).map_err(|_| {
        Located::new(
            value.span(),
            format!("{field}: {number} is out of range; give 0 or more"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Answers, AnswersError> {
        Answers::parse(text, Path::new("stack.toml"))
    }

    #[test]
    fn name_and_image_are_enough() {
        let answers = parse("name = \"umami\"\n[service]\nimage = \"umami\"\n").unwrap();
        assert_eq!(answers.region, "eu-west-2");
        assert_eq!(answers.network.azs, 2);
        assert_eq!(answers.service.image, Image::NewRepository("umami".into()));
        assert!(matches!(answers.database, Database::Postgres(_)));
    }

    #[test]
    fn a_missing_name_points_at_line_one() {
        let err = parse("[service]\nimage = \"umami\"\n").unwrap_err();
        assert_eq!((err.line, err.column), (1, 1));
        assert!(err.message.starts_with("name: missing"), "{err}");
    }

    #[test]
    fn subnets_are_carved_public_first() {
        let cidr = Cidr {
            base: Ipv4Addr::new(10, 0, 0, 0),
            prefix: 16,
        };
        assert_eq!(subnet_prefix(cidr, 2), 18);
        assert_eq!(cidr.subnet(18, 1).to_string(), "10.0.64.0/18");
        assert_eq!(subnet_prefix(cidr, 3), 19);
        assert_eq!(cidr.subnet(19, 5).to_string(), "10.0.160.0/19");
    }

    #[test]
    fn the_connection_string_never_shows_in_debug() {
        let text = "name = \"a\"\n[service]\nimage = \"a1\"\n[database]\nkind = \"external\"\n\
                    connection_string = \"mongodb+srv://u:hunter2@h/db\"\n";
        let answers = parse(text).unwrap();
        assert!(!format!("{answers:?}").contains("hunter2"));
    }

    #[test]
    fn fargate_pairs_follow_the_ecs_table() {
        assert!(fargate_pair(512, 1024));
        assert!(!fargate_pair(512, 512));
        assert!(fargate_pair(256, 2048));
        assert!(!fargate_pair(256, 3072));
        assert!(fargate_pair(4096, 30720));
        assert!(!fargate_pair(300, 1024));
    }
}
