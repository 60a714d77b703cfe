//! Is an address code? A callback address is called only if it lies in an
//! executable mapping of this process (`/proc/self/maps`). ctypes/libffi
//! closures live in anonymous executable pages, so this accepts them where
//! `dladdr` would not, and refuses `1`, `4096` or the address of data.

/// `[start, end)` of every mapping with the `x` permission.
pub fn executable_ranges(maps: &str) -> Vec<(usize, usize)> {
    maps.lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace();
            let range = fields.next()?;
            let perms = fields.next()?;
            if perms.as_bytes().get(2) != Some(&b'x') {
                return None;
            }
            let (start, end) = range.split_once('-')?;
            Some((usize::from_str_radix(start, 16).ok()?, usize::from_str_radix(end, 16).ok()?))
        })
        .collect()
}

pub fn is_in(ranges: &[(usize, usize)], address: usize) -> bool {
    ranges.iter().any(|&(start, end)| (start..end).contains(&address))
}

/// The executable mappings of this process, as read at one moment.
pub struct Executable(Vec<(usize, usize)>);

/// An address found in an executable mapping: the only way to make the
/// application's callbacks (`callbacks`, `frame`) from an option's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeAddress(usize);

impl Executable {
    /// This process's executable mappings right now.
    pub fn current() -> std::io::Result<Executable> {
        Ok(Executable(executable_ranges(&std::fs::read_to_string("/proc/self/maps")?)))
    }

    /// `address` as code, if it lies in an executable mapping.
    pub fn code(&self, address: usize) -> Option<CodeAddress> {
        is_in(&self.0, address).then_some(CodeAddress(address))
    }
}

impl CodeAddress {
    pub fn get(self) -> usize {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAPS: &str = "\
55d0c0a00000-55d0c0a02000 r--p 00000000 fd:01 123 /usr/bin/app
55d0c0a02000-55d0c0a05000 r-xp 00002000 fd:01 123 /usr/bin/app
7f00aa000000-7f00aa001000 rwxp 00000000 00:00 0
7f00ab000000-7f00ab100000 rw-p 00000000 00:00 0 [heap]
";

    #[test]
    fn only_executable_mappings_count() {
        let ranges = executable_ranges(MAPS);
        assert_eq!(ranges, [(0x55d0c0a02000, 0x55d0c0a05000), (0x7f00aa000000, 0x7f00aa001000)]);
        assert!(is_in(&ranges, 0x55d0c0a02000));
        assert!(!is_in(&ranges, 0x55d0c0a05000));
        assert!(is_in(&ranges, 0x7f00aa000010)); // anonymous rwx page, like a libffi closure
        assert!(!is_in(&ranges, 0x7f00ab000010));
        assert!(!is_in(&ranges, 1));
        assert!(!is_in(&ranges, 4096));
    }

    #[test]
    fn this_process_code_is_executable_and_data_is_not() {
        static DATA: u64 = 0;
        let executable = Executable::current().unwrap();
        let code = executable.code(only_executable_mappings_count as *const () as usize);
        assert_eq!(code.map(CodeAddress::get), Some(only_executable_mappings_count as *const () as usize));
        assert!(executable.code(&DATA as *const u64 as usize).is_none());
        assert!(executable.code(4096).is_none());
    }
}
