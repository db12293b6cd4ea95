//! Comparing two traces of one scenario.

use crate::trace::{Record, Trace};

/// One difference between two traces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The step.
    pub step: usize,
    /// The field (a Record field name).
    pub field: String,
    /// Its value in the first trace (JSON).
    pub left: String,
    /// Its value in the second trace (JSON).
    pub right: String,
}

/// The differences between `a` and `b`, field by field, step by step.
pub fn compare(a: &Trace, b: &Trace) -> Vec<Difference> {
    let mut out = Vec::new();
    let n = a.records.len().max(b.records.len());
    let empty = Record::default();
    for i in 0..n {
        let (x, y) = (
            a.records.get(i).unwrap_or(&empty),
            b.records.get(i).unwrap_or(&empty),
        );
        let (jx, jy) = (
            serde_json::to_value(x).expect("a record serialises"),
            serde_json::to_value(y).expect("a record serialises"),
        );
        let (mx, my) = (
            jx.as_object().cloned().unwrap_or_default(),
            jy.as_object().cloned().unwrap_or_default(),
        );
        let mut keys: Vec<&String> = mx.keys().chain(my.keys()).collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            let (vx, vy) = (mx.get(k), my.get(k));
            if vx != vy {
                out.push(Difference {
                    step: i,
                    field: k.clone(),
                    left: vx.map_or("absent".into(), |v| v.to_string()),
                    right: vy.map_or("absent".into(), |v| v.to_string()),
                });
            }
        }
    }
    out
}
