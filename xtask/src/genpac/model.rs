//! The register description, reduced to what the generator emits, and its sanity checks.
//!
//! `svd-parser` turns the XML into `svd_rs` types; [`Block::from_svd`] flattens those into
//! this model and rejects anything the generator cannot represent faithfully (unknown
//! write/read side effects, misaligned or overlapping registers, fields outside the
//! register, values wider than their field). Every error names the register or field.

use anyhow::{bail, ensure, Context, Result};
use svd_parser::svd::{
    self, Access as SvdAccess, MaybeArray, ModifiedWriteValues, ReadAction, RegisterCluster,
    Usage as SvdUsage,
};
use svd_parser::ValidateLevel;

/// Register semantics, mapped to one cell type of `sdma_pac::register`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `RWRegister`.
    ReadWrite,
    /// `RORegister`.
    ReadOnly,
    /// `WORegister`.
    WriteOnly,
    /// `W1SRegister` (`modifiedWriteValues` = `oneToSet`).
    WriteOneToSet,
    /// `W1CRegister` (`modifiedWriteValues` = `oneToClear`).
    WriteOneToClear,
    /// `ClearOnReadRegister` (read-only with `readAction` = `clear`).
    ClearOnRead,
}

/// Which of the `R`/`W`/`RW` modules a named value goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    /// Value seen on reads only.
    Read,
    /// Value for writes only.
    Write,
    /// Both.
    ReadWrite,
}

/// A named field value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    pub name: String,
    pub description: String,
    pub value: u32,
    pub usage: Usage,
}

/// One bit field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub description: String,
    pub offset: u32,
    pub width: u32,
    pub values: Vec<Value>,
}

impl Field {
    /// The field's mask, in place.
    pub fn mask(&self) -> u32 {
        let ones = if self.width >= 32 {
            u32::MAX
        } else {
            (1u32 << self.width) - 1
        };
        ones << self.offset
    }
}

/// One register or register array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Register {
    pub name: String,
    pub description: String,
    /// Byte offset (of element 0 for arrays).
    pub offset: u32,
    /// `Some(len)` for arrays.
    pub dim: Option<u32>,
    /// Byte distance between array elements (4 for scalars).
    pub stride: u32,
    pub kind: Kind,
    pub reset: u32,
    pub fields: Vec<Field>,
}

impl Register {
    /// Number of 32-bit words the register occupies.
    pub fn len(&self) -> u32 {
        self.dim.unwrap_or(1)
    }
    /// Byte offset just past the register (array).
    pub fn end(&self) -> u32 {
        self.offset + self.len() * 4
    }
}

/// One peripheral: the unit of generation (one output module).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Peripheral name (`SDMA`); the module is its lowercase form.
    pub name: String,
    pub description: String,
    pub base: u32,
    /// Registers sorted by offset.
    pub registers: Vec<Register>,
}

impl Block {
    /// Size in bytes of the generated `RegisterBlock`.
    pub fn size(&self) -> u32 {
        self.registers.iter().map(Register::end).max().unwrap_or(0)
    }

    /// Builds the model of the single peripheral of `device`.
    pub fn from_svd(device: &svd::Device) -> Result<Block> {
        ensure!(
            device.peripherals.len() == 1,
            "the description must hold exactly one peripheral, found {}",
            device.peripherals.len()
        );
        let periph = &device.peripherals[0];
        let MaybeArray::Single(periph) = periph else {
            bail!("peripheral arrays are not supported");
        };
        check_ident(&periph.name).context("peripheral name")?;
        let base = u32::try_from(periph.base_address)
            .with_context(|| format!("base address {:#x} exceeds 32 bits", periph.base_address))?;
        let mut defaults = device.default_register_properties;
        defaults
            .modify_from(periph.default_register_properties, ValidateLevel::Weak)
            .context("peripheral register properties")?;
        let mut registers = Vec::new();
        for item in periph.registers.as_deref().unwrap_or_default() {
            let RegisterCluster::Register(reg) = item else {
                bail!("clusters are not supported");
            };
            let reg = convert_register(reg, &defaults)
                .with_context(|| format!("register {}", reg.name))?;
            registers.push(reg);
        }
        registers.sort_by_key(|r| r.offset);
        let block = Block {
            name: periph.name.clone(),
            description: clean(periph.description.as_deref().unwrap_or_default()),
            base,
            registers,
        };
        block.check()?;
        Ok(block)
    }

    /// Whole-block checks: unique names, no overlap.
    fn check(&self) -> Result<()> {
        ensure!(!self.registers.is_empty(), "no registers");
        for (i, a) in self.registers.iter().enumerate() {
            for b in &self.registers[i + 1..] {
                ensure!(a.name != b.name, "register name {} used twice", a.name);
                ensure!(
                    a.end() <= b.offset,
                    "registers {} ({:#05x}..{:#05x}) and {} ({:#05x}) overlap",
                    a.name,
                    a.offset,
                    a.end(),
                    b.name,
                    b.offset
                );
            }
        }
        Ok(())
    }
}

/// Collapses the whitespace of an SVD description into single spaces.
pub fn clean(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Checks that `name` can be emitted as a Rust identifier (upper-case register style).
fn check_ident(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    ensure!(
        first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "`{name}` is not a valid identifier"
    );
    ensure!(
        !matches!(
            name,
            "R" | "W" | "RW" | "offset" | "mask" | "self" | "Self" | "crate" | "super"
        ),
        "`{name}` collides with a generated name"
    );
    Ok(())
}

fn convert_register(reg: &svd::Register, defaults: &svd::RegisterProperties) -> Result<Register> {
    let (info, dim) = match reg {
        MaybeArray::Single(info) => (info, None),
        MaybeArray::Array(info, dim) => (info, Some(dim)),
    };
    ensure!(info.derived_from.is_none(), "derivedFrom is not supported");
    ensure!(
        info.alternate_register.is_none() && info.alternate_group.is_none(),
        "alternate registers are not supported"
    );
    let name = match dim {
        None => info.name.clone(),
        Some(_) => info
            .name
            .strip_suffix("[%s]")
            .context("array register names must end in `[%s]`")?
            .to_string(),
    };
    check_ident(&name)?;

    let mut props = *defaults;
    props
        .modify_from(info.properties, ValidateLevel::Weak)
        .context("register properties")?;
    let size = props.size.unwrap_or(32);
    ensure!(
        size == 32,
        "only 32-bit registers are supported (size {size})"
    );
    ensure!(
        info.address_offset % 4 == 0,
        "offset {:#x} is not 4-aligned",
        info.address_offset
    );
    let reset = props.reset_value.context("no reset value")?;
    let reset = u32::try_from(reset).with_context(|| format!("reset value {reset:#x}"))?;

    let access = props.access.unwrap_or(SvdAccess::ReadWrite);
    let kind = match (access, info.modified_write_values, info.read_action) {
        (SvdAccess::ReadOnly, None, Some(ReadAction::Clear)) => Kind::ClearOnRead,
        (_, _, Some(action)) => {
            bail!("readAction {action:?} with access {access:?} is not supported")
        }
        (SvdAccess::ReadWrite, Some(ModifiedWriteValues::OneToSet), None) => Kind::WriteOneToSet,
        (SvdAccess::ReadWrite, Some(ModifiedWriteValues::OneToClear), None) => {
            Kind::WriteOneToClear
        }
        (
            SvdAccess::ReadWrite | SvdAccess::ReadWriteOnce,
            None | Some(ModifiedWriteValues::Modify),
            None,
        ) => Kind::ReadWrite,
        (SvdAccess::ReadOnly, None, None) => Kind::ReadOnly,
        (
            SvdAccess::WriteOnly | SvdAccess::WriteOnce,
            None | Some(ModifiedWriteValues::Modify),
            None,
        ) => Kind::WriteOnly,
        (_, Some(mwv), None) => {
            bail!("modifiedWriteValues {mwv:?} with access {access:?} is not supported")
        }
    };

    let (dim_len, stride) = match dim {
        None => (None, 4),
        Some(dim) => {
            ensure!(dim.dim > 0, "empty array");
            ensure!(
                dim.dim_increment == 4,
                "array stride {} (only 4-byte strides map to a Rust array)",
                dim.dim_increment
            );
            ensure!(
                dim.dim_index.is_none(),
                "dimIndex is not supported (indices are 0..dim)"
            );
            (Some(dim.dim), 4)
        }
    };

    let mut fields = Vec::new();
    for f in info.fields.as_deref().unwrap_or_default() {
        let MaybeArray::Single(f) = f else {
            bail!("field arrays are not supported");
        };
        let field = convert_field(f, kind).with_context(|| format!("field {}", f.name))?;
        fields.push(field);
    }
    fields.sort_by_key(|f| f.offset);
    for (i, a) in fields.iter().enumerate() {
        for b in &fields[i + 1..] {
            ensure!(a.name != b.name, "field name {} used twice", a.name);
            ensure!(
                a.mask() & b.mask() == 0,
                "fields {} and {} overlap",
                a.name,
                b.name
            );
        }
    }
    ensure!(!fields.is_empty(), "no fields (describe at least one)");

    Ok(Register {
        name,
        description: clean(info.description.as_deref().unwrap_or_default()),
        offset: info.address_offset,
        dim: dim_len,
        stride,
        kind,
        reset,
        fields,
    })
}

fn convert_field(f: &svd::FieldInfo, kind: Kind) -> Result<Field> {
    check_ident(&f.name)?;
    ensure!(f.derived_from.is_none(), "derivedFrom is not supported");
    let offset = f.bit_range.offset;
    let width = f.bit_range.width;
    ensure!(
        width >= 1 && offset + width <= 32,
        "bits {}..{} do not fit 32 bits",
        offset,
        offset + width
    );
    // A field may restate its register's side effect but not contradict it.
    match (f.modified_write_values, kind) {
        (None, _)
        | (Some(ModifiedWriteValues::OneToSet), Kind::WriteOneToSet)
        | (Some(ModifiedWriteValues::OneToClear), Kind::WriteOneToClear) => {}
        (Some(m), _) => bail!("modifiedWriteValues {m:?} differs from the register's ({kind:?})"),
    }
    match (f.read_action, kind) {
        (None, _) | (Some(ReadAction::Clear), Kind::ClearOnRead) => {}
        (Some(a), _) => bail!("readAction {a:?} differs from the register's ({kind:?})"),
    }
    let max = if width >= 32 {
        u64::from(u32::MAX)
    } else {
        (1u64 << width) - 1
    };
    let mut values = Vec::new();
    for set in &f.enumerated_values {
        ensure!(set.derived_from.is_none(), "derivedFrom is not supported");
        let usage = match set.usage.unwrap_or(SvdUsage::ReadWrite) {
            SvdUsage::Read => Usage::Read,
            SvdUsage::Write => Usage::Write,
            SvdUsage::ReadWrite => Usage::ReadWrite,
        };
        for v in &set.values {
            check_ident(&v.name)?;
            let value = v.value.with_context(|| {
                format!(
                    "value {} has no number (isDefault is not supported)",
                    v.name
                )
            })?;
            ensure!(
                value <= max,
                "value {} = {value} does not fit {width} bits",
                v.name
            );
            ensure!(
                !values.iter().any(|o: &Value| o.name == v.name),
                "value name {} used twice",
                v.name
            );
            values.push(Value {
                name: v.name.clone(),
                description: clean(v.description.as_deref().unwrap_or_default()),
                value: value as u32,
                usage,
            });
        }
    }
    Ok(Field {
        name: f.name.clone(),
        description: clean(f.description.as_deref().unwrap_or_default()),
        offset,
        width,
        values,
    })
}
