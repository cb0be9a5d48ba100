//! The bootstrap wizard: the answer file's questions in groups, then the plan CloudFormation
//! computed for them. Every answer is checked where it is typed by the answer file's own
//! reader (`Answers::parse`): the wizard writes its fields out as answer-file TOML, so there
//! is one set of rules, and its errors are mapped back to the field they name.

use std::collections::BTreeMap;
use std::path::Path;

use super::Loading;
use crate::model::{CfnStack, ChangeAction};
use crate::ops::bootstrap::answers::{
    Answers, CLOUDFRONT_CERTIFICATE_REGION, Database, Image, NatChoice, PRICE_CLASSES, fargate_pair,
};
use crate::ops::bootstrap::cost::{CostEstimate, estimate_answers, nat_choices};
use crate::ops::bootstrap::provision::{Plan, Prepared};
use crate::ops::bootstrap::settings_text;

/// What `Answers::parse` names the wizard's answers in its errors (never shown: only the
/// message after `file:line:col:` is).
const ANSWERS_FILE: &str = "<bootstrap wizard>";
/// Stands in for a required answer not given yet, so the others can be checked as they are
/// typed (and a choice that needs another answer can be made before it); a valid stack name
/// and ECR repository name alike.
const STAND_IN: &str = "stand-in";
/// Stands in for an external database's connection string not typed yet.
const STAND_IN_URL: &str = "postgres://stand-in";
/// The smallest answer file: the reader fills in every default around it. The empty
/// autoscaling table brings out its defaults too (the wizard starts with it off).
const DEFAULTS_PROBE: &str =
    "name = \"stand-in\"\n[service]\nimage = \"stand-in\"\nautoscaling = {}\n";
/// Fargate's cpu units; the memory each takes is `fargate_pair`'s to say.
const FARGATE_CPUS: [u32; 7] = [256, 512, 1024, 2048, 4096, 8192, 16384];

/// One question of the wizard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Field {
    Name,
    Region,
    Cidr,
    Azs,
    Nat,
    Image,
    Tag,
    Port,
    HealthCheck,
    /// Fargate's cpu and memory, offered as the pairs that exist.
    Size,
    Desired,
    Autoscaling,
    AutoscalingMin,
    AutoscalingMax,
    CpuTarget,
    Environment,
    Database,
    PgVersion,
    PgClass,
    PgStorage,
    PgMultiAz,
    PgBackupDays,
    PgDeletionProtection,
    ConnectionString,
    DomainName,
    HostedZone,
    AlarmsEmail,
    /// A static site (S3 + CloudFront) in the stack, on or off.
    Site,
    SiteDomain,
    SitePriceClass,
    SiteSpa,
    SiteCertificate,
}

/// Each field and the answer-file key its errors name.
const FIELD_PATHS: &[(Field, &str)] = &[
    (Field::Name, "name"),
    (Field::Region, "region"),
    (Field::Cidr, "network.cidr"),
    (Field::Azs, "network.azs"),
    (Field::Nat, "network.nat"),
    (Field::Image, "service.image"),
    (Field::Tag, "service.tag"),
    (Field::Port, "service.port"),
    (Field::HealthCheck, "service.health_check"),
    (Field::Size, "service.cpu"),
    (Field::Size, "service.memory"),
    (Field::Size, "service.cpu/service.memory"),
    (Field::Desired, "service.desired"),
    (Field::Autoscaling, "service.autoscaling"),
    (Field::AutoscalingMin, "service.autoscaling.min"),
    (Field::AutoscalingMax, "service.autoscaling.max"),
    (Field::CpuTarget, "service.autoscaling.cpu_target"),
    (Field::Environment, "service.environment"),
    (Field::Database, "database.kind"),
    (Field::PgVersion, "database.version"),
    (Field::PgClass, "database.class"),
    (Field::PgStorage, "database.storage_gb"),
    (Field::PgMultiAz, "database.multi_az"),
    (Field::PgBackupDays, "database.backup_days"),
    (Field::PgDeletionProtection, "database.deletion_protection"),
    (Field::ConnectionString, "database.connection_string"),
    (Field::DomainName, "domain.name"),
    (Field::HostedZone, "domain.hosted_zone"),
    (Field::HostedZone, "domain.hosted_zone_id"),
    (Field::AlarmsEmail, "alarms.email"),
    (Field::SiteDomain, "site.domain"),
    (Field::SitePriceClass, "site.price_class"),
    (Field::SiteSpa, "site.spa"),
    (Field::SiteCertificate, "site.certificate_arn"),
];

const YES_NO: &[&str] = &["no", "yes"];

impl Field {
    /// The question as the form shows it.
    pub fn label(self) -> &'static str {
        match self {
            Field::Name => "stack name",
            Field::Region => "region",
            Field::Cidr => "VPC CIDR block",
            Field::Azs => "availability zones",
            Field::Nat => "NAT gateways",
            Field::Image => "image",
            Field::Tag => "tag",
            Field::Port => "container port",
            Field::HealthCheck => "health check path",
            Field::Size => "cpu / memory (MiB)",
            Field::Desired => "desired tasks",
            Field::Autoscaling => "autoscaling",
            Field::AutoscalingMin => "  min tasks",
            Field::AutoscalingMax => "  max tasks",
            Field::CpuTarget => "  CPU target %",
            Field::Environment => "environment",
            Field::Database => "database",
            Field::PgVersion => "  PostgreSQL version",
            Field::PgClass => "  instance class",
            Field::PgStorage => "  storage (GB)",
            Field::PgMultiAz => "  Multi-AZ",
            Field::PgBackupDays => "  backup days",
            Field::PgDeletionProtection => "  deletion protection",
            Field::ConnectionString => "  connection string",
            Field::DomainName => "domain name",
            Field::HostedZone => "hosted zone",
            Field::AlarmsEmail => "alarms e-mail",
            Field::Site => "static site",
            Field::SiteDomain => "  site name",
            Field::SitePriceClass => "  price class",
            Field::SiteSpa => "  single-page app",
            Field::SiteCertificate => "  certificate (us-east-1)",
        }
    }

    /// What a good answer looks like, shown beside the selected question.
    pub fn hint(self) -> &'static str {
        match self {
            Field::Name => "letters, digits and hyphens; the cluster, service and ALB take it",
            Field::Region => "an AWS region, e.g. eu-west-2",
            Field::Cidr => {
                "a /16 to /24 IPv4 block, carved into a public and a private subnet per AZ"
            }
            Field::Azs => "2 or 3",
            Field::Nat => "the private subnets' way out to the internet",
            Field::Image => "an ECR repository name (e.g. umami) or a full image reference",
            Field::Tag => "with an ECR repository; blank runs the newest pushed tag",
            Field::Port => "the port the container listens on",
            Field::HealthCheck => "the path the load balancer checks, e.g. /health",
            Field::Size => "only the sizes Fargate offers",
            Field::Desired => "tasks to run",
            Field::Autoscaling => "on CPU, between a min and a max",
            Field::AutoscalingMin | Field::AutoscalingMax => "tasks",
            Field::CpuTarget => "1 to 100",
            Field::Environment => "KEY=value, separated by commas",
            Field::Database => "postgres (RDS), none, or external (a connection string)",
            Field::PgVersion => "MAJOR.MINOR, a current RDS minor",
            Field::PgClass => "db.FAMILY.SIZE, e.g. db.t3.micro",
            Field::PgStorage => "20 to 65536",
            Field::PgMultiAz => "a standby in another AZ (twice the instance cost)",
            Field::PgBackupDays => "0 (none) to 35",
            Field::PgDeletionProtection => "RDS refuses to delete the database while on",
            Field::ConnectionString => "kept in Secrets Manager; never shown",
            Field::DomainName => "blank: no domain, HTTP on the load balancer's name",
            Field::HostedZone => "the Route53 zone that holds the name",
            Field::AlarmsEmail => "blank: alarms without e-mail",
            Field::Site => "a private S3 bucket behind CloudFront (opsdeck site deploy uploads)",
            Field::SiteDomain => "under the hosted zone; blank: the *.cloudfront.net name",
            Field::SitePriceClass => "100: North America and Europe (cheapest); All: everywhere",
            Field::SiteSpa => "403/404 answer /index.html, for an app that routes itself",
            Field::SiteCertificate => {
                "blank: a companion stack in us-east-1 makes it; or an ACM ARN there"
            }
        }
    }

    /// The field an answer-file error is about: `network.cidr: ...` is the CIDR's.
    pub fn of_error(message: &str) -> Option<Field> {
        let path = message.split_once(": ").map_or(message, |(path, _)| path);
        FIELD_PATHS
            .iter()
            .find(|(_, p)| *p == path)
            .or_else(|| {
                // `service.environment.NAME` and the like: the longest key it starts with.
                FIELD_PATHS
                    .iter()
                    .filter(|(_, p)| path.starts_with(&format!("{p}.")))
                    .max_by_key(|(_, p)| p.len())
            })
            .map(|(field, _)| *field)
    }

    /// The options of a choice; `None` for a typed answer.
    pub fn options(self) -> Option<Vec<String>> {
        let fixed: &[&str] = match self {
            Field::Azs => &["2", "3"],
            Field::Nat => &["single", "per-az"],
            Field::Autoscaling => &["off", "on"],
            Field::Database => &["postgres", "none", "external"],
            Field::PgMultiAz | Field::PgDeletionProtection | Field::SiteSpa => YES_NO,
            Field::Site => &["off", "on"],
            Field::SitePriceClass => PRICE_CLASSES,
            Field::Size => return Some(fargate_sizes()),
            _ => return None,
        };
        Some(fixed.iter().map(|o| (*o).to_string()).collect())
    }

    /// A credential: never drawn in clear.
    pub fn is_secret(self) -> bool {
        self == Field::ConnectionString
    }
}

/// Every Fargate size as `cpu/memory`, smallest first.
fn fargate_sizes() -> Vec<String> {
    FARGATE_CPUS
        .iter()
        .flat_map(|cpu| {
            (1..=240)
                .map(|step| step * 512)
                .filter(move |memory| fargate_pair(*cpu, *memory))
                .map(move |memory| format!("{cpu}/{memory}"))
        })
        .collect()
}

/// The groups the questions come in, one page each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Group {
    #[default]
    Stack,
    Network,
    Service,
    Database,
    Extras,
    Site,
}

impl Group {
    pub const ALL: [Group; 6] = [
        Group::Stack,
        Group::Network,
        Group::Service,
        Group::Database,
        Group::Extras,
        Group::Site,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Group::Stack => "stack",
            Group::Network => "network",
            Group::Service => "service",
            Group::Database => "database",
            Group::Extras => "domain and alarms",
            Group::Site => "static site",
        }
    }

    /// Every field of the group, shown or not.
    fn fields(self) -> &'static [Field] {
        match self {
            Group::Stack => &[Field::Name, Field::Region],
            Group::Network => &[Field::Cidr, Field::Azs, Field::Nat],
            Group::Service => &[
                Field::Image,
                Field::Tag,
                Field::Port,
                Field::HealthCheck,
                Field::Size,
                Field::Desired,
                Field::Autoscaling,
                Field::AutoscalingMin,
                Field::AutoscalingMax,
                Field::CpuTarget,
                Field::Environment,
            ],
            Group::Database => &[
                Field::Database,
                Field::PgVersion,
                Field::PgClass,
                Field::PgStorage,
                Field::PgMultiAz,
                Field::PgBackupDays,
                Field::PgDeletionProtection,
                Field::ConnectionString,
            ],
            Group::Extras => &[Field::DomainName, Field::HostedZone, Field::AlarmsEmail],
            Group::Site => &[
                Field::Site,
                Field::SiteDomain,
                Field::SitePriceClass,
                Field::SiteSpa,
                Field::SiteCertificate,
            ],
        }
    }

    pub fn of(field: Field) -> Group {
        Group::ALL
            .into_iter()
            .find(|g| g.fields().contains(&field))
            .unwrap_or_default()
    }

    pub fn number(self) -> usize {
        Group::ALL.iter().position(|g| *g == self).unwrap_or(0) + 1
    }

    pub fn next(self) -> Option<Group> {
        Group::ALL.get(self.number()).copied()
    }

    pub fn prev(self) -> Option<Group> {
        self.number().checked_sub(2).map(|i| Group::ALL[i])
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootstrapStep {
    Questions(Group),
    /// The change set and the cost; `y` applies it. `back_to` is where Esc returns.
    Plan {
        back_to: Group,
    },
}

/// The monthly cost of the answers so far, and of each NAT choice for the trade-off.
#[derive(Debug, Clone, PartialEq)]
pub struct Costs {
    pub total: f64,
    pub nat: Vec<(NatChoice, f64)>,
    pub currency: String,
}

impl Costs {
    fn of(answers: &Answers) -> Option<Costs> {
        let estimate = estimate_answers(answers).ok()?;
        Some(Costs {
            total: estimate.monthly_usd,
            nat: nat_choices(answers).ok()?,
            currency: estimate.currency,
        })
    }
}

/// One resource of the plan as the plan step lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedResource {
    pub kind: String,
    pub logical_id: String,
    pub settings: String,
    /// What the change set does to it; `None` when the change set leaves it as it is.
    pub action: Option<ChangeAction>,
}

/// What the plan step shows: the change set, the resources, the notes and the cost.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanSummary {
    pub plan: Plan,
    pub region: String,
    pub resources: Vec<PlannedResource>,
    pub notes: Vec<String>,
    pub cost: CostEstimate,
}

impl PlanSummary {
    pub fn new(prepared: &Prepared, plan: Plan) -> PlanSummary {
        let resources = prepared
            .model
            .resources
            .iter()
            .map(|resource| PlannedResource {
                kind: resource.kind.to_string(),
                logical_id: resource.logical_id.clone(),
                settings: settings_text(resource),
                action: plan
                    .changes
                    .iter()
                    .find(|c| c.logical_id == resource.logical_id)
                    .map(|c| c.action),
            })
            .collect();
        PlanSummary {
            region: prepared.answers.region.clone(),
            resources,
            notes: prepared.notes.clone(),
            cost: prepared.cost.clone(),
            plan,
        }
    }
}

/// What the plan job found: a plan to show, or a stack CloudFormation is still working on
/// (the wizard then follows that instead).
#[derive(Debug, Clone, PartialEq)]
pub enum Planned {
    Ready(Box<PlanSummary>),
    Busy(Box<CfnStack>),
}

/// An answer refused where it was typed: the text (kept to be corrected) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub text: String,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapWizard {
    pub step: BootstrapStep,
    /// Index into the current group's shown fields.
    pub selected: usize,
    /// The accepted answers, as typed. Together they always pass the answer file's checks
    /// (with stand-ins for the required answers not given yet).
    pub values: BTreeMap<Field, String>,
    pub refused: BTreeMap<Field, Refused>,
    /// What the account says about the name: a stack to update, or one being worked on.
    pub name_note: Option<String>,
    pub costs: Option<Costs>,
    pub plan: Option<Loading<PlanSummary>>,
    /// Rows the plan is scrolled by.
    pub scroll: usize,
}

impl Default for BootstrapWizard {
    fn default() -> Self {
        BootstrapWizard::new()
    }
}

impl BootstrapWizard {
    /// Every answer at the answer file's default, but the name and the image.
    pub fn new() -> BootstrapWizard {
        let mut wizard = BootstrapWizard {
            step: BootstrapStep::Questions(Group::Stack),
            selected: 0,
            values: BTreeMap::new(),
            refused: BTreeMap::new(),
            name_note: None,
            costs: None,
            plan: None,
            scroll: 0,
        };
        if let Ok(defaults) = Answers::parse(DEFAULTS_PROBE, Path::new(ANSWERS_FILE)) {
            wizard.values = values_of(&defaults);
            wizard.values.insert(Field::Name, String::new());
            wizard.values.insert(Field::Image, String::new());
            wizard.values.insert(Field::Autoscaling, "off".into());
            wizard.costs = Costs::of(&defaults);
        }
        wizard
    }

    pub fn group(&self) -> Group {
        match self.step {
            BootstrapStep::Questions(group) | BootstrapStep::Plan { back_to: group } => group,
        }
    }

    /// The fields of `group` that apply to the answers so far (autoscaling's limits only
    /// when it is on, PostgreSQL's settings only for an RDS database...).
    pub fn shown_fields(&self, group: Group) -> Vec<Field> {
        let value = |field| self.value(field);
        group
            .fields()
            .iter()
            .copied()
            .filter(|field| match field {
                Field::AutoscalingMin | Field::AutoscalingMax | Field::CpuTarget => {
                    value(Field::Autoscaling) == "on"
                }
                Field::PgVersion
                | Field::PgClass
                | Field::PgStorage
                | Field::PgMultiAz
                | Field::PgBackupDays
                | Field::PgDeletionProtection => value(Field::Database) == "postgres",
                Field::ConnectionString => value(Field::Database) == "external",
                Field::SiteDomain | Field::SitePriceClass | Field::SiteSpa => {
                    value(Field::Site) == "on"
                }
                Field::SiteCertificate => {
                    value(Field::Site) == "on"
                        && !value(Field::SiteDomain).is_empty()
                        && value(Field::Region) != CLOUDFRONT_CERTIFICATE_REGION
                }
                _ => true,
            })
            .collect()
    }

    pub fn selected_field(&self) -> Option<Field> {
        self.shown_fields(self.group()).get(self.selected).copied()
    }

    pub fn value(&self, field: Field) -> &str {
        self.values.get(&field).map_or("", String::as_str)
    }

    /// Opens a group at its first question.
    pub fn open_group(&mut self, group: Group) {
        self.step = BootstrapStep::Questions(group);
        self.selected = 0;
    }

    /// Opens the group of `field` with it selected.
    pub fn select(&mut self, field: Field) {
        let group = Group::of(field);
        self.open_group(group);
        self.selected = self
            .shown_fields(group)
            .iter()
            .position(|f| *f == field)
            .unwrap_or(0);
    }

    /// Takes `text` as the answer to `field` if the answer file's reader accepts it with
    /// the other answers; otherwise keeps it refused, with the reader's reason.
    pub fn answer(&mut self, field: Field, text: String) -> Result<(), String> {
        let mut values = self.values.clone();
        values.insert(field, text.trim().to_string());
        match check(&values, true) {
            Ok(answers) => {
                self.values = values;
                self.refused.remove(&field);
                self.costs = Costs::of(&answers);
                Ok(())
            }
            Err((_, error)) => {
                // Every other answer passed before this one, so this one is the cause,
                // whichever key the reader names (min <= desired <= max names desired).
                self.refused.insert(
                    field,
                    Refused {
                        text,
                        error: error.clone(),
                    },
                );
                Err(error)
            }
        }
    }

    /// Moves a choice to its next (or previous) option and checks it like a typed answer.
    pub fn cycle(&mut self, field: Field, forward: bool) {
        let Some(options) = field.options() else {
            return;
        };
        let current = self
            .refused
            .get(&field)
            .map_or(self.value(field), |r| r.text.as_str());
        let at = options.iter().position(|o| o == current).unwrap_or(0);
        let len = options.len();
        let next = if forward {
            (at + 1) % len
        } else {
            (at + len - 1) % len
        };
        let _ = self.answer(field, options[next].clone());
        // Fields may have appeared or gone: keep the selection on this one.
        self.selected = self
            .shown_fields(self.group())
            .iter()
            .position(|f| *f == field)
            .unwrap_or(0);
    }

    /// Every answer checked as a whole, the required ones included: the answers to plan,
    /// or the field to fix and why.
    pub fn checked(&self) -> Result<Answers, (Option<Field>, String)> {
        if let Some((field, refused)) = self.refused.iter().next() {
            return Err((Some(*field), refused.error.clone()));
        }
        check(&self.values, false)
    }
}

/// The wizard's answers as an answer file (with stand-ins for missing required answers
/// when `stand_ins`), read by the answer file's own reader.
fn check(
    values: &BTreeMap<Field, String>,
    stand_ins: bool,
) -> Result<Answers, (Option<Field>, String)> {
    let text = answer_file(values, stand_ins).map_err(|error| (Some(Field::Environment), error))?;
    Answers::parse(&text, Path::new(ANSWERS_FILE))
        .map_err(|error| (Field::of_error(&error.message), error.message))
}

fn quoted(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

/// A whole number as TOML's integer; anything else as a string, for the reader to refuse
/// with its own words.
fn number(text: &str) -> String {
    text.parse::<i64>()
        .map_or_else(|_| quoted(text), |n| n.to_string())
}

fn boolean(text: &str) -> &'static str {
    if text == "yes" { "true" } else { "false" }
}

/// `KEY=value, KEY2=value2` as an inline table; a piece without `=` cannot be read.
fn environment(text: &str) -> Result<String, String> {
    let mut pairs = Vec::new();
    for piece in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = piece.split_once('=') else {
            return Err(format!(
                "service.environment: {piece:?} is not KEY=value; give pairs such as \
                 DATABASE_TYPE=postgresql, separated by commas"
            ));
        };
        pairs.push(format!("{} = {}", quoted(key.trim()), quoted(value.trim())));
    }
    Ok(format!("{{ {} }}", pairs.join(", ")))
}

/// Answer-file text written a key at a time.
#[derive(Default)]
struct AnswerFile(String);

impl AnswerFile {
    fn table(&mut self, name: &str) {
        self.0.push_str(&format!("[{name}]\n"));
    }

    fn key(&mut self, key: &str, value: String) {
        self.0.push_str(&format!("{key} = {value}\n"));
    }
}

fn answer_file(values: &BTreeMap<Field, String>, stand_ins: bool) -> Result<String, String> {
    let value = |field: Field| values.get(&field).map_or("", |v| v.trim());
    let required = |field: Field| match value(field) {
        "" if stand_ins => Some(STAND_IN),
        "" => None,
        given => Some(given),
    };
    let mut file = AnswerFile::default();
    if let Some(name) = required(Field::Name) {
        file.key("name", quoted(name));
    }
    file.key("region", quoted(value(Field::Region)));
    file.table("network");
    file.key("cidr", quoted(value(Field::Cidr)));
    file.key("azs", number(value(Field::Azs)));
    file.key("nat", quoted(value(Field::Nat)));
    file.table("service");
    if let Some(image) = required(Field::Image) {
        file.key("image", quoted(image));
    }
    if !value(Field::Tag).is_empty() {
        file.key("tag", quoted(value(Field::Tag)));
    }
    file.key("port", number(value(Field::Port)));
    file.key("health_check", quoted(value(Field::HealthCheck)));
    let (cpu, memory) = value(Field::Size).split_once('/').unwrap_or(("", ""));
    file.key("cpu", number(cpu));
    file.key("memory", number(memory));
    file.key("desired", number(value(Field::Desired)));
    if !value(Field::Environment).is_empty() {
        file.key("environment", environment(value(Field::Environment))?);
    }
    if value(Field::Autoscaling) == "on" {
        file.key(
            "autoscaling",
            format!(
                "{{ min = {}, max = {}, cpu_target = {} }}",
                number(value(Field::AutoscalingMin)),
                number(value(Field::AutoscalingMax)),
                number(value(Field::CpuTarget))
            ),
        );
    }
    file.table("database");
    file.key("kind", quoted(value(Field::Database)));
    match value(Field::Database) {
        "postgres" => {
            file.key("version", quoted(value(Field::PgVersion)));
            file.key("class", quoted(value(Field::PgClass)));
            file.key("storage_gb", number(value(Field::PgStorage)));
            file.key("multi_az", boolean(value(Field::PgMultiAz)).into());
            file.key("backup_days", number(value(Field::PgBackupDays)));
            file.key(
                "deletion_protection",
                boolean(value(Field::PgDeletionProtection)).into(),
            );
        }
        "external" => {
            let given = value(Field::ConnectionString);
            if !given.is_empty() {
                file.key("connection_string", quoted(given));
            } else if stand_ins {
                // Choosing "external" comes before typing the string it needs.
                file.key("connection_string", quoted(STAND_IN_URL));
            }
        }
        _ => {}
    }
    let (mut domain, mut zone) = (value(Field::DomainName), value(Field::HostedZone));
    if stand_ins {
        // One of the pair is typed before the other: a name is its own zone's apex.
        if domain.is_empty() {
            domain = zone;
        } else if zone.is_empty() {
            zone = domain;
        }
    }
    if !domain.is_empty() || !zone.is_empty() {
        file.table("domain");
        if !domain.is_empty() {
            file.key("name", quoted(domain));
        }
        if !zone.is_empty() {
            file.key("hosted_zone", quoted(zone));
        }
    }
    if !value(Field::AlarmsEmail).is_empty() {
        file.table("alarms");
        file.key("email", quoted(value(Field::AlarmsEmail)));
    }
    if value(Field::Site) == "on" {
        file.table("site");
        let site_domain = value(Field::SiteDomain);
        if !site_domain.is_empty() {
            file.key("domain", quoted(site_domain));
        }
        file.key("price_class", quoted(value(Field::SitePriceClass)));
        file.key("spa", boolean(value(Field::SiteSpa)).into());
        let certificate = value(Field::SiteCertificate);
        let asked =
            !site_domain.is_empty() && value(Field::Region) != CLOUDFRONT_CERTIFICATE_REGION;
        if asked && !certificate.is_empty() {
            file.key("certificate_arn", quoted(certificate));
        }
    }
    Ok(file.0)
}

/// The wizard's fields for a set of answers.
fn values_of(answers: &Answers) -> BTreeMap<Field, String> {
    let yes_no = |on: bool| if on { "yes" } else { "no" }.to_string();
    let service = &answers.service;
    let mut values = BTreeMap::from([
        (Field::Name, answers.name.clone()),
        (Field::Region, answers.region.clone()),
        (Field::Cidr, answers.network.cidr.to_string()),
        (Field::Azs, answers.network.azs.to_string()),
        (Field::Nat, answers.network.nat.label().to_string()),
        (
            Field::Image,
            match &service.image {
                Image::NewRepository(name) | Image::Reference(name) => name.clone(),
            },
        ),
        (Field::Tag, service.tag.clone().unwrap_or_default()),
        (Field::Port, service.port.to_string()),
        (Field::HealthCheck, service.health_check.clone()),
        (Field::Size, format!("{}/{}", service.cpu, service.memory)),
        (Field::Desired, service.desired.to_string()),
        (
            Field::Autoscaling,
            if service.autoscaling.is_some() {
                "on"
            } else {
                "off"
            }
            .to_string(),
        ),
        (
            Field::Environment,
            service
                .environment
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (
            Field::DomainName,
            answers
                .domain
                .as_ref()
                .map(|d| d.name.clone())
                .unwrap_or_default(),
        ),
        (
            Field::HostedZone,
            answers
                .domain
                .as_ref()
                .map(|d| d.hosted_zone.clone())
                .unwrap_or_default(),
        ),
        (
            Field::AlarmsEmail,
            answers.alarms.email.clone().unwrap_or_default(),
        ),
    ]);
    let site = answers.site.clone();
    values.extend([
        (
            Field::Site,
            if site.is_some() { "on" } else { "off" }.to_string(),
        ),
        (
            Field::SiteDomain,
            site.as_ref()
                .and_then(|s| s.domain.clone())
                .unwrap_or_default(),
        ),
        (
            Field::SitePriceClass,
            site.as_ref()
                .map_or(PRICE_CLASSES[0].to_string(), |s| s.price_class.clone()),
        ),
        (Field::SiteSpa, yes_no(site.as_ref().is_some_and(|s| s.spa))),
        (
            Field::SiteCertificate,
            site.and_then(|s| s.certificate_arn).unwrap_or_default(),
        ),
    ]);
    if let Some(scaling) = service.autoscaling {
        values.insert(Field::AutoscalingMin, scaling.min.to_string());
        values.insert(Field::AutoscalingMax, scaling.max.to_string());
        values.insert(Field::CpuTarget, scaling.cpu_target.to_string());
    }
    let (kind, postgres) = match &answers.database {
        Database::Postgres(postgres) => ("postgres", Some(postgres.clone())),
        Database::None => ("none", None),
        Database::External { .. } => ("external", None),
    };
    values.insert(Field::Database, kind.into());
    let postgres = postgres.unwrap_or_default();
    values.extend([
        (Field::PgVersion, postgres.version),
        (Field::PgClass, postgres.class),
        (Field::PgStorage, postgres.storage_gb.to_string()),
        (Field::PgMultiAz, yes_no(postgres.multi_az)),
        (Field::PgBackupDays, postgres.backup_days.to_string()),
        (
            Field::PgDeletionProtection,
            yes_no(postgres.deletion_protection),
        ),
    ]);
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_answer_files_and_pass_with_a_name_and_an_image() {
        let mut wizard = BootstrapWizard::new();
        assert_eq!(wizard.value(Field::Region), "eu-west-2");
        assert_eq!(wizard.value(Field::Cidr), "10.0.0.0/16");
        assert_eq!(wizard.value(Field::Size), "256/512");
        assert_eq!(wizard.value(Field::PgVersion), "17.6");
        assert!(matches!(
            wizard.checked(),
            Err((Some(Field::Name), ref e)) if e.starts_with("name: missing")
        ));
        wizard.answer(Field::Name, "demo".into()).unwrap();
        wizard.answer(Field::Image, "umami".into()).unwrap();
        let answers = wizard.checked().unwrap();
        assert_eq!(answers.name, "demo");
        assert_eq!(answers.service.image, Image::NewRepository("umami".into()));
        assert!(answers.service.autoscaling.is_none());
    }

    #[test]
    fn errors_name_their_field() {
        assert_eq!(
            Field::of_error("network.cidr: \"x\" is not"),
            Some(Field::Cidr)
        );
        assert_eq!(
            Field::of_error("service.cpu/service.memory: cpu 256"),
            Some(Field::Size)
        );
        assert_eq!(
            Field::of_error("service.environment.PGHOST: set by the stack"),
            Some(Field::Environment)
        );
        assert_eq!(
            Field::of_error("service.autoscaling.min: 3 is above"),
            Some(Field::AutoscalingMin)
        );
        assert_eq!(Field::of_error("CloudFormation could not"), None);
    }

    #[test]
    fn a_site_is_asked_for_in_its_group_and_its_certificate_only_outside_us_east_1() {
        let mut wizard = BootstrapWizard::new();
        wizard.answer(Field::Name, "demo".into()).unwrap();
        wizard.answer(Field::Image, "umami".into()).unwrap();
        assert_eq!(wizard.shown_fields(Group::Site), [Field::Site]);
        assert!(wizard.checked().unwrap().site.is_none());
        wizard.cycle(Field::Site, true);
        wizard.cycle(Field::SiteSpa, true);
        let site = wizard.checked().unwrap().site.unwrap();
        assert!(site.spa);
        assert_eq!(site.price_class, "PriceClass_100");
        // A site name needs the stack's zone.
        assert!(
            wizard
                .answer(Field::SiteDomain, "www.example.com".into())
                .is_err()
        );
        wizard
            .answer(Field::DomainName, "app.example.com".into())
            .unwrap();
        wizard
            .answer(Field::HostedZone, "example.com".into())
            .unwrap();
        wizard
            .answer(Field::SiteDomain, "www.example.com".into())
            .unwrap();
        assert!(
            wizard
                .shown_fields(Group::Site)
                .contains(&Field::SiteCertificate)
        );
        // Blank: the companion stack in us-east-1 makes it.
        let answers = wizard.checked().unwrap();
        assert_eq!(
            answers.site.unwrap().certificate(&answers.region),
            crate::ops::bootstrap::answers::SiteCertificate::EdgeStack
        );
        assert!(
            wizard
                .answer(Field::SiteCertificate, "arn:aws:acm:eu-west-2:1:x".into())
                .is_err()
        );
        let arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc-1";
        wizard.answer(Field::SiteCertificate, arn.into()).unwrap();
        let site = wizard.checked().unwrap().site.unwrap();
        assert_eq!(site.certificate_arn.as_deref(), Some(arn));
        // In us-east-1 the stack makes the certificate: no question.
        wizard.answer(Field::Region, "us-east-1".into()).unwrap();
        assert!(
            !wizard
                .shown_fields(Group::Site)
                .contains(&Field::SiteCertificate)
        );
        let answers = wizard.checked().unwrap();
        assert!(answers.site.unwrap().makes_certificate(&answers.region));
    }

    #[test]
    fn only_fargate_sizes_are_offered() {
        let sizes = fargate_sizes();
        assert_eq!(sizes.first().map(String::as_str), Some("256/512"));
        assert!(sizes.contains(&"4096/30720".to_string()));
        assert!(!sizes.contains(&"256/4096".to_string()));
    }

    #[test]
    fn environment_and_choices_reach_the_answers() {
        let mut wizard = BootstrapWizard::new();
        wizard.answer(Field::Name, "demo".into()).unwrap();
        wizard.answer(Field::Image, "umami".into()).unwrap();
        wizard
            .answer(Field::Environment, "A=1, B = two".into())
            .unwrap();
        wizard.cycle(Field::Database, true);
        let answers = wizard.checked().unwrap();
        assert_eq!(answers.service.environment["B"], "two");
        assert_eq!(answers.database, Database::None);
        assert!(wizard.answer(Field::Environment, "A".into()).is_err());
    }

    #[test]
    fn an_answer_that_needs_another_is_taken_and_the_other_asked_for_at_the_plan() {
        let mut wizard = BootstrapWizard::new();
        wizard.answer(Field::Name, "demo".into()).unwrap();
        wizard.answer(Field::Image, "umami".into()).unwrap();
        wizard
            .answer(Field::DomainName, "app.example.com".into())
            .unwrap();
        assert!(matches!(
            wizard.checked(),
            Err((Some(Field::HostedZone), ref e)) if e.starts_with("domain.hosted_zone: missing")
        ));
        wizard
            .answer(Field::HostedZone, "example.com".into())
            .unwrap();
        wizard.answer(Field::Database, "external".into()).unwrap();
        assert!(matches!(
            wizard.checked(),
            Err((Some(Field::ConnectionString), _))
        ));
    }
}
