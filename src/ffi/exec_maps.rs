//! Is an address code? A callback address is called only if it lies in an
//! executable mapping of this process (`/proc/self/maps`). ctypes/libffi
//! closures live in anonymous executable pages, so this accepts them where
//! `dladdr` would not, and refuses `1`, `4096` or the address of data. The
//! loader's own list of objects answers first for code in the program and
//! its libraries (smem-client's trampolines, a C application's functions).

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

/// Finds callback addresses in this process's code, reading
/// `/proc/self/maps` only for an address no loaded object holds.
#[derive(Default)]
pub struct Executable {
    /// The executable mappings, once read.
    maps: Option<Vec<(usize, usize)>>,
}

/// An address found in an executable mapping: the only way to make the
/// application's callbacks (`callbacks`, `frame`) from an option's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CodeAddress(usize);

impl Executable {
    /// `address` as code, if it lies in an executable segment of a loaded
    /// object (the program and its libraries, as the dynamic loader mapped
    /// them: no system call), or else in an executable mapping (libffi's
    /// closures: `/proc/self/maps`, read once, 1.5 ms in a Python process
    /// with numpy loaded).
    pub fn code(&mut self, address: usize) -> std::io::Result<Option<CodeAddress>> {
        if in_loaded_code(address) {
            return Ok(Some(CodeAddress(address)));
        }
        if self.maps.is_none() {
            self.maps = Some(executable_ranges(&std::fs::read_to_string("/proc/self/maps")?));
        }
        Ok(self.maps.as_deref().is_some_and(|maps| is_in(maps, address)).then_some(CodeAddress(address)))
    }
}

/// Whether `address` lies in a loadable segment with execute permission of
/// an object the dynamic loader has loaded.
fn in_loaded_code(address: usize) -> bool {
    unsafe extern "C" fn visit(
        info: *mut libc::dl_phdr_info,
        _size: libc::size_t,
        data: *mut libc::c_void,
    ) -> libc::c_int {
        // SAFETY: `data` is the (address, found) of in_loaded_code, alive
        // for the call; `info` and its program headers are the loader's,
        // valid during the callback.
        unsafe {
            let (address, found) = &mut *data.cast::<(usize, bool)>();
            let info = &*info;
            let headers = match info.dlpi_phdr.is_null() {
                true => &[][..],
                false => std::slice::from_raw_parts(info.dlpi_phdr, usize::from(info.dlpi_phnum)),
            };
            let base = info.dlpi_addr as usize;
            *found = headers.iter().any(|h| {
                let start = base.wrapping_add(h.p_vaddr as usize);
                h.p_type == libc::PT_LOAD
                    && h.p_flags & libc::PF_X != 0
                    && (start..start.saturating_add(h.p_memsz as usize)).contains(address)
            });
            libc::c_int::from(*found)
        }
    }
    let mut search = (address, false);
    // SAFETY: `visit` only reads what the loader passes and writes `search`.
    unsafe { libc::dl_iterate_phdr(Some(visit), (&mut search as *mut (usize, bool)).cast()) };
    search.1
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
        let mut executable = Executable::default();
        let function = only_executable_mappings_count as *const () as usize;
        assert!(in_loaded_code(function), "found without reading the maps");
        assert_eq!(executable.code(function).unwrap().map(CodeAddress::get), Some(function));
        assert!(executable.maps.is_none());
        assert!(!in_loaded_code(&DATA as *const u64 as usize));
        assert!(executable.code(&DATA as *const u64 as usize).unwrap().is_none());
        assert!(executable.code(4096).unwrap().is_none());
        assert!(executable.code(1).unwrap().is_none());
    }

    #[test]
    fn code_in_an_anonymous_executable_page_is_found_in_the_maps() {
        // As a libffi closure (ctypes' CFUNCTYPE): no loaded object holds it.
        // SAFETY: a fresh anonymous mapping, unmapped below.
        let page = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_EXEC,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(page, libc::MAP_FAILED);
        let address = page as usize + 16;
        assert!(!in_loaded_code(address));
        assert_eq!(Executable::default().code(address).unwrap().map(CodeAddress::get), Some(address));
        // SAFETY: the mapping made above.
        unsafe { libc::munmap(page, 4096) };
        assert!(Executable::default().code(address).unwrap().is_none(), "gone once unmapped");
    }
}
