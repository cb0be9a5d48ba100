//! The monthly cost estimate of a stack, from the price tables under `assets/prices/`,
//! with the assumptions it rests on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::answers::{Answers, Database, NatChoice};
use super::model::StackModel;

/// The price tables in the binary, by region.
const PRICE_TABLES: &[(&str, &str)] = &[
    (
        "eu-west-2",
        include_str!("../../../assets/prices/eu-west-2.toml"),
    ),
    (
        "us-east-1",
        include_str!("../../../assets/prices/us-east-1.toml"),
    ),
];
/// The table used for a region that has none of its own: prices differ by region, but
/// within tens of percent for these services.
const FALLBACK_REGION: &str = "eu-west-2";

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CostError {
    #[error("the price table for {region} in the binary is broken: {reason}")]
    BrokenTable { region: String, reason: String },
}

/// One region's list prices, in USD.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct PriceTable {
    pub source: String,
    pub date: String,
    pub region: String,
    pub currency: String,
    pub nat_gateway: NatPrices,
    pub load_balancer: LoadBalancerPrices,
    pub fargate: FargatePrices,
    pub public_ipv4: Ipv4Prices,
    pub rds_instance: BTreeMap<String, InstancePrice>,
    pub rds_storage: StoragePrices,
    pub cloudwatch: CloudWatchPrices,
    pub secrets_manager: SecretPrices,
    pub route53: Route53Prices,
    pub cloudfront: CloudFrontPrices,
    pub s3: S3Prices,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CloudFrontPrices {
    pub gb_out: f64,
    pub https_10k_requests: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct S3Prices {
    pub gb_month: f64,
    pub get_1k_requests: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NatPrices {
    pub hour: f64,
    pub gb_processed: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LoadBalancerPrices {
    pub hour: f64,
    pub lcu_hour: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FargatePrices {
    pub vcpu_hour: f64,
    pub gb_hour: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Ipv4Prices {
    pub hour: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InstancePrice {
    pub single_az: f64,
    pub multi_az: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StoragePrices {
    pub gp3_gb_month: f64,
    pub backup_gb_month: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CloudWatchPrices {
    pub logs_ingested_gb: f64,
    pub alarm_month: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SecretPrices {
    pub secret_month: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Route53Prices {
    pub hosted_zone_month: f64,
}

impl PriceTable {
    /// The table of `region`, or of [`FALLBACK_REGION`] when the binary has none for it.
    pub fn for_region(region: &str) -> Result<PriceTable, CostError> {
        let (name, text) = PRICE_TABLES
            .iter()
            .find(|(name, _)| *name == region)
            .or_else(|| {
                PRICE_TABLES
                    .iter()
                    .find(|(name, _)| *name == FALLBACK_REGION)
            })
            .copied()
            .unwrap_or(("", ""));
        toml::from_str(text).map_err(|err| CostError::BrokenTable {
            region: name.to_string(),
            reason: err.to_string(),
        })
    }
}

/// What the estimate takes for the parts AWS bills by use.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assumptions {
    pub hours_per_month: f64,
    /// Through the NAT gateways: image pulls, logs, calls out.
    pub nat_gb_processed: f64,
    /// The load balancer's average LCUs in an hour; a small app stays well under one.
    pub alb_lcus: f64,
    pub log_gb_ingested: f64,
    /// Backup storage up to the database's size is free; beyond it is billed.
    pub backup_gb_beyond_free: f64,
    /// With autoscaling, the estimate counts the desired tasks, not the maximum.
    pub tasks_counted: String,
    /// The static site's files in its bucket.
    pub site_gb_stored: f64,
    /// What CloudFront serves of the site in a month: a modest site.
    pub site_gb_out: f64,
    pub site_requests: f64,
    /// The share of requests CloudFront's cache misses, each a GET on the bucket.
    pub site_cache_miss_share: f64,
}

impl Default for Assumptions {
    fn default() -> Self {
        Assumptions {
            hours_per_month: 730.0,
            nat_gb_processed: 20.0,
            alb_lcus: 0.5,
            log_gb_ingested: 5.0,
            backup_gb_beyond_free: 0.0,
            tasks_counted: "the desired count".into(),
            site_gb_stored: 1.0,
            site_gb_out: 50.0,
            site_requests: 1_000_000.0,
            site_cache_miss_share: 0.1,
        }
    }
}

/// One line of the estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostItem {
    pub item: String,
    /// The logical ids of the resources it is for.
    pub resources: Vec<String>,
    pub quantity: f64,
    pub unit: String,
    pub unit_usd: f64,
    pub monthly_usd: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostEstimate {
    pub items: Vec<CostItem>,
    pub monthly_usd: f64,
    pub assumptions: Assumptions,
    pub source: String,
    pub date: String,
    /// The region whose prices were used.
    pub region: String,
    pub currency: String,
    /// Set when the stack's region has no table of its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

fn cents(usd: f64) -> f64 {
    (usd * 100.0).round() / 100.0
}

struct Lines(Vec<CostItem>);

impl Lines {
    fn add(
        &mut self,
        item: &str,
        resources: Vec<String>,
        quantity: f64,
        unit: &str,
        unit_usd: f64,
    ) {
        self.0.push(CostItem {
            item: item.into(),
            resources,
            quantity: (quantity * 1000.0).round() / 1000.0,
            unit: unit.into(),
            unit_usd,
            monthly_usd: cents(quantity * unit_usd),
        });
    }
}

fn ids_of(model: &StackModel, kind: &str) -> Vec<String> {
    model
        .resources
        .iter()
        .filter(|r| r.kind == kind)
        .map(|r| r.logical_id.clone())
        .collect()
}

/// The monthly cost of the stack the model describes.
pub fn estimate(
    model: &StackModel,
    prices: &PriceTable,
    assumptions: &Assumptions,
) -> CostEstimate {
    let answers = &model.answers;
    let hours = assumptions.hours_per_month;
    let mut lines = Lines(Vec::new());

    let nats = ids_of(model, "AWS::EC2::NatGateway");
    let nat_count = nats.len() as f64;
    lines.add(
        "NAT gateway hours",
        nats.clone(),
        nat_count * hours,
        "NAT gateway-hour",
        prices.nat_gateway.hour,
    );
    lines.add(
        "NAT gateway data processed",
        nats,
        assumptions.nat_gb_processed,
        "GB",
        prices.nat_gateway.gb_processed,
    );
    let alb = vec!["LoadBalancer".to_string()];
    lines.add(
        "Load balancer hours",
        alb.clone(),
        hours,
        "ALB-hour",
        prices.load_balancer.hour,
    );
    lines.add(
        "Load balancer capacity units",
        alb,
        assumptions.alb_lcus * hours,
        "LCU-hour",
        prices.load_balancer.lcu_hour,
    );
    let tasks = f64::from(answers.service.desired);
    let service = vec!["Service".to_string()];
    lines.add(
        &format!(
            "Fargate vCPU ({} vCPU x {} tasks)",
            f64::from(answers.service.cpu) / 1024.0,
            answers.service.desired
        ),
        service.clone(),
        f64::from(answers.service.cpu) / 1024.0 * tasks * hours,
        "vCPU-hour",
        prices.fargate.vcpu_hour,
    );
    lines.add(
        &format!(
            "Fargate memory ({} GB x {} tasks)",
            f64::from(answers.service.memory) / 1024.0,
            answers.service.desired
        ),
        service,
        f64::from(answers.service.memory) / 1024.0 * tasks * hours,
        "GB-hour",
        prices.fargate.gb_hour,
    );
    let mut note = None;
    if prices.region != answers.region {
        note = Some(format!(
            "no price table for {} in opsdeck: these are {} prices",
            answers.region, prices.region
        ));
    }
    if let Database::Postgres(postgres) = &answers.database {
        let db = vec!["Database".to_string()];
        match prices.rds_instance.get(&postgres.class) {
            Some(price) => {
                let (label, hourly) = if postgres.multi_az {
                    ("Multi-AZ", price.multi_az)
                } else {
                    ("single-AZ", price.single_az)
                };
                lines.add(
                    &format!("RDS {} {label}", postgres.class),
                    db.clone(),
                    hours,
                    "instance-hour",
                    hourly,
                );
            }
            None => {
                lines.add(
                    &format!(
                        "RDS {} (not in the price table: not counted)",
                        postgres.class
                    ),
                    db.clone(),
                    hours,
                    "instance-hour",
                    0.0,
                );
            }
        }
        let copies = if postgres.multi_az { 2.0 } else { 1.0 };
        lines.add(
            &format!(
                "RDS gp3 storage ({} GB{})",
                postgres.storage_gb,
                if postgres.multi_az { " x 2 AZs" } else { "" }
            ),
            db.clone(),
            f64::from(postgres.storage_gb) * copies,
            "GB-month",
            prices.rds_storage.gp3_gb_month,
        );
        if postgres.backup_days > 0 {
            lines.add(
                "RDS backup storage beyond the free allowance",
                db,
                assumptions.backup_gb_beyond_free,
                "GB-month",
                prices.rds_storage.backup_gb_month,
            );
        }
    }
    // The ALB holds a public address in each of its AZs; each NAT gateway holds its EIP.
    let mut addresses = vec!["LoadBalancer".to_string()];
    addresses.extend(ids_of(model, "AWS::EC2::EIP"));
    let address_count = f64::from(answers.network.azs) + nat_count;
    lines.add(
        &format!(
            "Public IPv4 addresses ({} ALB + {} NAT)",
            answers.network.azs, nat_count
        ),
        addresses,
        address_count * hours,
        "address-hour",
        prices.public_ipv4.hour,
    );
    let secret = match &answers.database {
        Database::Postgres(_) => Some("Database"),
        Database::External { .. } => Some("DatabaseSecret"),
        Database::None => None,
    };
    if let Some(secret) = secret {
        lines.add(
            "Secrets Manager secret (database credentials)",
            vec![secret.to_string()],
            1.0,
            "secret-month",
            prices.secrets_manager.secret_month,
        );
    }
    lines.add(
        "CloudWatch Logs ingestion",
        vec!["LogGroup".to_string()],
        assumptions.log_gb_ingested,
        "GB",
        prices.cloudwatch.logs_ingested_gb,
    );
    let alarms = ids_of(model, "AWS::CloudWatch::Alarm");
    let alarm_count = alarms.len() as f64;
    lines.add(
        "CloudWatch alarms",
        alarms,
        alarm_count,
        "alarm-month",
        prices.cloudwatch.alarm_month,
    );
    if let Some(domain) = &answers.domain {
        lines.add(
            &format!(
                "Route53 hosted zone {} (yours already; for the whole bill)",
                domain.hosted_zone
            ),
            vec!["DnsRecord".to_string()],
            1.0,
            "zone-month",
            prices.route53.hosted_zone_month,
        );
    }
    if answers.site.is_some() {
        let distribution = vec!["SiteDistribution".to_string()];
        lines.add(
            "CloudFront data out (North America and Europe)",
            distribution.clone(),
            assumptions.site_gb_out,
            "GB",
            prices.cloudfront.gb_out,
        );
        lines.add(
            "CloudFront HTTPS requests",
            distribution,
            assumptions.site_requests / 10_000.0,
            "10k requests",
            prices.cloudfront.https_10k_requests,
        );
        let bucket = vec!["SiteBucket".to_string()];
        lines.add(
            "S3 storage of the site",
            bucket.clone(),
            assumptions.site_gb_stored,
            "GB-month",
            prices.s3.gb_month,
        );
        lines.add(
            "S3 GET requests (CloudFront cache misses)",
            bucket,
            assumptions.site_requests * assumptions.site_cache_miss_share / 1000.0,
            "1k requests",
            prices.s3.get_1k_requests,
        );
    }
    let total = cents(lines.0.iter().map(|item| item.monthly_usd).sum());
    CostEstimate {
        items: lines.0,
        monthly_usd: total,
        assumptions: assumptions.clone(),
        source: prices.source.clone(),
        date: prices.date.clone(),
        region: prices.region.clone(),
        currency: prices.currency.clone(),
        note,
    }
}

/// The estimate of the answers with the region's price table and the default assumptions.
pub fn estimate_answers(answers: &Answers) -> Result<CostEstimate, CostError> {
    let prices = PriceTable::for_region(&answers.region)?;
    Ok(estimate(
        &StackModel::build(answers),
        &prices,
        &Assumptions::default(),
    ))
}

/// What each NAT choice costs a month for the same answers, for the wizard's trade-off.
pub fn nat_choices(answers: &Answers) -> Result<Vec<(NatChoice, f64)>, CostError> {
    [NatChoice::Single, NatChoice::PerAz]
        .into_iter()
        .map(|choice| {
            let mut answers = answers.clone();
            answers.network.nat = choice;
            Ok((choice, estimate_answers(&answers)?.monthly_usd))
        })
        .collect()
}

impl CostEstimate {
    /// The cost table a person reads.
    pub fn to_text(&self) -> String {
        let width = self
            .items
            .iter()
            .map(|item| item.item.chars().count())
            .max()
            .unwrap_or(0);
        let mut text = String::new();
        for item in &self.items {
            text.push_str(&format!(
                "  {:<width$}  {:>10} {:<16} x {:>8}  {:>9.2}\n",
                item.item,
                trim_number(item.quantity),
                item.unit,
                item.unit_usd,
                item.monthly_usd,
            ));
        }
        text.push_str(&format!(
            "  {:<width$}  {:>48.2} {}/month\n",
            "Total", self.monthly_usd, self.currency
        ));
        text.push_str(&format!(
            "Prices: {} list prices for {} on {} ({})\n",
            self.currency, self.region, self.date, self.source
        ));
        if let Some(note) = &self.note {
            text.push_str(&format!("Note: {note}\n"));
        }
        let a = &self.assumptions;
        text.push_str(&format!(
            "Assumes: {} hours a month; {} GB through the NAT; {} ALB LCUs on average; {} GB of \
             logs; {} GB of backups beyond the free allowance; Fargate counts {}.\n",
            a.hours_per_month,
            a.nat_gb_processed,
            a.alb_lcus,
            a.log_gb_ingested,
            a.backup_gb_beyond_free,
            a.tasks_counted
        ));
        if self
            .items
            .iter()
            .any(|item| item.item.starts_with("CloudFront"))
        {
            text.push_str(&format!(
                "Site: {} GB stored; {} GB and {} requests served a month, {}% of them cache \
                 misses read from the bucket.\n",
                a.site_gb_stored,
                a.site_gb_out,
                a.site_requests,
                a.site_cache_miss_share * 100.0
            ));
        }
        text
    }
}

fn trim_number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}
