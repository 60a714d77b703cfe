//! Every conversion between Python and smem-client's values, in one place
//! (polars' `Wrap<T>` pattern): names in, typed values out, and a
//! `ValueError` that says what a name may be.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use smem_client::{Abi, AudioSample, DropPolicy, EndReason, VideoChroma};

/// A smem-client value read from (or written to) Python by its name.
pub struct Wrap<T>(pub T);

/// Reads a value by its name (`FromStr`), any error a `ValueError`.
fn by_name<T: std::str::FromStr>(ob: &Borrowed<'_, '_, PyAny>) -> PyResult<Wrap<T>>
where
    T::Err: std::fmt::Display,
{
    let name: String = ob.extract()?;
    name.parse().map(Wrap).map_err(|e: T::Err| PyValueError::new_err(e.to_string()))
}

/// `Wrap<T>` read from a Python name, for the types taken as they are.
macro_rules! by_name {
    ($($ty:ty),*) => {$(
        impl<'a, 'py> FromPyObject<'a, 'py> for Wrap<$ty> {
            type Error = PyErr;
            fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
                by_name(&ob)
            }
        }
    )*};
}

by_name!(VideoChroma, DropPolicy, Abi);

impl<'a, 'py> FromPyObject<'a, 'py> for Wrap<AudioSample> {
    type Error = PyErr;
    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        let Wrap(sample) = by_name::<AudioSample>(&ob)?;
        // The arrays are int16 or float32.
        match sample {
            AudioSample::S16l | AudioSample::Fl32 => Ok(Wrap(sample)),
            other => Err(PyValueError::new_err(format!("audio format {other:?} is not taken here: s16 or f32"))),
        }
    }
}

impl<'py> IntoPyObject<'py> for Wrap<EndReason> {
    type Target = pyo3::types::PyString;
    type Output = Bound<'py, Self::Target>;
    type Error = std::convert::Infallible;
    fn into_pyobject(self, py: Python<'py>) -> Result<Self::Output, Self::Error> {
        Ok(pyo3::types::PyString::new(py, self.0.as_str()))
    }
}

/// Seconds from Python as a duration; `None` for none.
pub fn seconds(value: Option<f64>) -> PyResult<Option<std::time::Duration>> {
    value
        .map(|s| {
            std::time::Duration::try_from_secs_f64(s)
                .map_err(|_| PyValueError::new_err(format!("{s} is not a number of seconds")))
        })
        .transpose()
}
