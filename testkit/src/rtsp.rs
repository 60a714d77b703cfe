//! GStreamer's RTSP server (tests/rtsp/server.py, gst-rtsp-server from
//! Python) on a free port of 127.0.0.1, for the RTSP input's tests: it
//! sends files made by the tests, in real time, and stops when dropped (or
//! by itself after two minutes).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

pub struct GstServer {
    child: Child,
    pub port: u16,
    /// server.py's flags and mount points, for [`GstServer::restart`].
    args: Vec<String>,
    /// What it printed after "ready": "play", "teardown".
    said: Arc<Mutex<Vec<String>>>,
}

/// A mount point: `/name=( pipeline )`, the pipeline's payloaders named
/// pay0, pay1...
pub fn mount(name: &str, pipeline: &str) -> String {
    format!("/{name}=( {pipeline} )")
}

/// `/h264`: a Matroska file's H.264 as RTP.
pub fn h264_mount(file: &str) -> String {
    mount("h264", &format!("filesrc location={file} ! matroskademux ! h264parse ! rtph264pay name=pay0 pt=96"))
}

impl GstServer {
    /// `flags`: server.py's (`--user`, `--password`, `--protocols`).
    pub fn start(flags: &[&str], mounts: &[String]) -> GstServer {
        let args: Vec<String> = flags.iter().map(|f| f.to_string()).chain(mounts.iter().cloned()).collect();
        let (child, port, said) = GstServer::spawn(0, &args);
        GstServer { child, port, args, said }
    }

    /// server.py on `port` (0: a free one): it, its port, what it says.
    #[allow(clippy::type_complexity)]
    fn spawn(port: u16, args: &[String]) -> (Child, u16, Arc<Mutex<Vec<String>>>) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/rtsp/server.py");
        let mut child = Command::new("/usr/bin/python3")
            .arg(script)
            .args(["--port", &port.to_string(), "--lifetime", "120"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("cannot run tests/rtsp/server.py (make deps installs GStreamer's RTSP server)");
        let stdout = child.stdout.take().unwrap();
        let said = Arc::new(Mutex::new(Vec::new()));
        let (ready, port) = mpsc::channel();
        let lines = said.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                match line.strip_prefix("ready ") {
                    Some(p) => {
                        let _ = ready.send(p.parse::<u16>().unwrap());
                    }
                    None => lines.lock().unwrap().push(line),
                }
            }
        });
        let port = port.recv_timeout(Duration::from_secs(20)).expect("the RTSP server did not start");
        (child, port, said)
    }

    /// Started again, after [`GstServer::kill`], on the same port (a camera
    /// back after a reboot); what it said before is kept.
    pub fn restart(&mut self) {
        self.kill();
        let (child, port, said) = GstServer::spawn(self.port, &self.args);
        let before = std::mem::take(&mut *self.said.lock().unwrap());
        said.lock().unwrap().splice(0..0, before);
        (self.child, self.port, self.said) = (child, port, said);
    }

    pub fn url(&self, mount: &str) -> String {
        format!("rtsp://127.0.0.1:{}{mount}", self.port)
    }

    /// How many times it printed `word`.
    pub fn said(&self, word: &str) -> usize {
        self.said.lock().unwrap().iter().filter(|l| *l == word).count()
    }

    /// The lines it printed that start with `prefix` ("sent "), in order.
    pub fn lines(&self, prefix: &str) -> Vec<String> {
        self.said.lock().unwrap().iter().filter(|l| l.starts_with(prefix)).cloned().collect()
    }

    /// Freezes it (SIGSTOP): connections stay open, nothing is sent.
    pub fn freeze(&self) {
        Command::new("kill").args(["-STOP", &self.child.id().to_string()]).status().unwrap();
    }

    pub fn kill(&mut self) {
        let _ = Command::new("kill").args(["-CONT", &self.child.id().to_string()]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for GstServer {
    fn drop(&mut self) {
        self.kill();
    }
}
