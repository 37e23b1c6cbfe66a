//! The optional (data) fields of a record as htslib 1.16 prints them (`sam_format_aux1`): every
//! integer type as `i`, `f` (and the non-standard `d`) values with `%g`, `B:f` elements with
//! htslib's `kputd`.

use std::io;

use noodles_sam::alignment::record::{
    Data, DataRef,
    data::field::{Value, value::Array},
};

use super::{write_g, write_int, write_kputd};

/// Appends each data field as `\tTG:T:value` (htslib `sam_format_aux1`).
pub(super) fn write_data(buf: &mut Vec<u8>, data: DataRef<'_>) -> io::Result<()> {
    match data {
        DataRef::TypedMapEncoded(src) => write_encoded(buf, src),
        DataRef::Data(data) => write_generic(buf, &*data),
    }
}

fn write_generic(buf: &mut Vec<u8>, data: &dyn Data<'_>) -> io::Result<()> {
    for field in data.iter() {
        let (tag, value) = field?;
        write_tag(buf, tag.as_ref());
        write_value(buf, &value)?;
    }
    Ok(())
}

fn write_tag(buf: &mut Vec<u8>, tag: &[u8; 2]) {
    buf.push(b'\t');
    buf.extend_from_slice(tag);
    buf.push(b':');
}

fn write_value(buf: &mut Vec<u8>, value: &Value<'_>) -> io::Result<()> {
    match value {
        Value::Character(c) => buf.extend_from_slice(&[b'A', b':', *c]),
        Value::Int8(_) | Value::UInt8(_) | Value::Int16(_) | Value::UInt16(_) | Value::Int32(_) | Value::UInt32(_) => {
            buf.extend_from_slice(b"i:");
            write_int(buf, value.as_int().unwrap_or_default());
        }
        Value::Float(n) => {
            buf.extend_from_slice(b"f:");
            write_g(buf, f64::from(*n));
        }
        Value::String(s) => {
            buf.extend_from_slice(b"Z:");
            buf.extend_from_slice(s);
        }
        Value::Hex(s) => {
            buf.extend_from_slice(b"H:");
            buf.extend_from_slice(s);
        }
        Value::Array(array) => write_array(buf, array)?,
    }
    Ok(())
}

fn write_array(buf: &mut Vec<u8>, array: &Array<'_>) -> io::Result<()> {
    buf.extend_from_slice(b"B:");
    match array {
        Array::Int8(values) => write_ints(buf, b'c', values.iter().map(|n| n.map(i64::from))),
        Array::UInt8(values) => write_ints(buf, b'C', values.iter().map(|n| n.map(i64::from))),
        Array::Int16(values) => write_ints(buf, b's', values.iter().map(|n| n.map(i64::from))),
        Array::UInt16(values) => write_ints(buf, b'S', values.iter().map(|n| n.map(i64::from))),
        Array::Int32(values) => write_ints(buf, b'i', values.iter().map(|n| n.map(i64::from))),
        Array::UInt32(values) => write_ints(buf, b'I', values.iter().map(|n| n.map(i64::from))),
        Array::Float(values) => {
            buf.push(b'f');
            for n in values.iter() {
                buf.push(b',');
                write_kputd(buf, f64::from(n?));
            }
            Ok(())
        }
    }
}

fn write_ints(buf: &mut Vec<u8>, subtype: u8, values: impl Iterator<Item = io::Result<i64>>) -> io::Result<()> {
    buf.push(subtype);
    for n in values {
        buf.push(b',');
        write_int(buf, n?);
    }
    Ok(())
}

// SAM/BAM § 4.2.4: tag, type, then the value; B arrays are subtype, count (u32) and values.
// As htslib's `sam_format1`: fields are read while at least 4 bytes remain (fewer are ignored).
pub(super) fn write_encoded(buf: &mut Vec<u8>, mut src: &[u8]) -> io::Result<()> {
    while let [t0, t1, ty, rest @ ..] = src
        && src.len() >= 4
    {
        write_tag(buf, &[*t0, *t1]);
        src = match ty {
            b'A' => {
                let (c, rest) = take::<1>(rest)?;
                buf.extend_from_slice(&[b'A', b':', c[0]]);
                rest
            }
            b'Z' | b'H' => {
                let end = rest.iter().position(|&b| b == 0).ok_or_else(|| invalid("unterminated string field"))?;
                buf.extend_from_slice(&[*ty, b':']);
                buf.extend_from_slice(&rest[..end]);
                &rest[end + 1..]
            }
            b'B' => write_encoded_array(buf, rest)?,
            b'd' => {
                // Not in the SAM specification, but printed by htslib: a double, as `%g`.
                let (n, rest) = take::<8>(rest)?;
                buf.extend_from_slice(b"d:");
                write_g(buf, f64::from_le_bytes(n));
                rest
            }
            _ => {
                let (n, rest) = encoded_number(*ty, rest)?;
                match n {
                    Number::Int(n) => {
                        buf.extend_from_slice(b"i:");
                        write_int(buf, n);
                    }
                    Number::Float(n) => {
                        buf.extend_from_slice(b"f:");
                        write_g(buf, n);
                    }
                }
                rest
            }
        };
    }
    Ok(())
}

fn write_encoded_array<'a>(buf: &mut Vec<u8>, src: &'a [u8]) -> io::Result<&'a [u8]> {
    let (subtype, rest) = take::<1>(src)?;
    let (count, mut rest) = take::<4>(rest)?;
    let count = u32::from_le_bytes(count) as usize;
    let size = match subtype[0] {
        b'c' | b'C' => 1,
        b's' | b'S' => 2,
        b'i' | b'I' | b'f' => 4,
        // htslib sizes an `A` array but prints none.
        _ => return Err(invalid("invalid array subtype")),
    };
    if rest.len() / size < count {
        return Err(invalid("truncated data field"));
    }
    buf.extend_from_slice(&[b'B', b':', subtype[0]]);
    for _ in 0..count {
        let (n, next) = encoded_number(subtype[0], rest)?;
        buf.push(b',');
        match n {
            Number::Int(n) => write_int(buf, n),
            Number::Float(n) => write_kputd(buf, n),
        }
        rest = next;
    }
    Ok(rest)
}

enum Number {
    Int(i64),
    Float(f64),
}

fn encoded_number(ty: u8, src: &[u8]) -> io::Result<(Number, &[u8])> {
    Ok(match ty {
        b'c' => take::<1>(src).map(|(b, r)| (Number::Int(i64::from(i8::from_le_bytes(b))), r))?,
        b'C' => take::<1>(src).map(|(b, r)| (Number::Int(i64::from(b[0])), r))?,
        b's' => take::<2>(src).map(|(b, r)| (Number::Int(i64::from(i16::from_le_bytes(b))), r))?,
        b'S' => take::<2>(src).map(|(b, r)| (Number::Int(i64::from(u16::from_le_bytes(b))), r))?,
        b'i' => take::<4>(src).map(|(b, r)| (Number::Int(i64::from(i32::from_le_bytes(b))), r))?,
        b'I' => take::<4>(src).map(|(b, r)| (Number::Int(i64::from(u32::from_le_bytes(b))), r))?,
        b'f' => take::<4>(src).map(|(b, r)| (Number::Float(f64::from(f32::from_le_bytes(b))), r))?,
        _ => return Err(invalid("invalid data field type")),
    })
}

fn take<const N: usize>(src: &[u8]) -> io::Result<([u8; N], &[u8])> {
    match src.split_first_chunk::<N>() {
        Some((head, rest)) => Ok((*head, rest)),
        None => Err(invalid("truncated data field")),
    }
}

fn invalid(message: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_write_encoded() -> io::Result<()> {
        let mut src = Vec::new();
        src.extend_from_slice(b"XAAq");
        src.extend_from_slice(b"NMc\xfe");
        src.extend_from_slice(b"XIIABCD");
        src.extend_from_slice(b"XFf");
        src.extend_from_slice(&0.1f32.to_le_bytes());
        src.extend_from_slice(b"RGZrg0\0");
        src.extend_from_slice(b"XHH1AE3\0");
        src.extend_from_slice(b"XBBf\x02\0\0\0");
        src.extend_from_slice(&1.5f32.to_le_bytes());
        src.extend_from_slice(&1e20f32.to_le_bytes());
        src.extend_from_slice(b"XSBs\x02\0\0\0\xff\xff\x02\x00");
        let mut buf = Vec::new();
        write_encoded(&mut buf, &src)?;
        let expected = "\tXA:A:q\tNM:i:-2\tXI:i:1145258561\tXF:f:0.1\tRG:Z:rg0\tXH:H:1AE3\
                        \tXB:B:f,1.5,1e+20\tXS:B:s,-1,2";
        assert_eq!(String::from_utf8_lossy(&buf), expected);
        Ok(())
    }

    #[test]
    fn test_write_encoded_truncated() {
        for src in [&b"XIi\x01\x02"[..], b"RGZrg0", b"XBBf\x02\0\0\0\0\0\0\0", b"XQq\0", b"XABA\0\0\0\0"] {
            assert!(write_encoded(&mut Vec::new(), src).is_err(), "{src:?}");
        }
    }

    #[test]
    fn test_write_encoded_as_htslib() -> io::Result<()> {
        // Fewer than 4 bytes after the last field are ignored; `d` is a double.
        let mut src = b"XDd".to_vec();
        src.extend_from_slice(&2.5f64.to_le_bytes());
        src.extend_from_slice(b"XAA");
        let mut buf = Vec::new();
        write_encoded(&mut buf, &src)?;
        assert_eq!(String::from_utf8_lossy(&buf), "\tXD:d:2.5");
        Ok(())
    }
}
