//! An application's own player, attached to (`Grab::attach`) and driven by
//! the application while frames come: each frame's media time is its own
//! picture's (told by its bytes) through a pause and the application's
//! seeks, under real libvlc with the smem-rs plugin built here.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use smem_client::vlc::{Instance, Player};
use smem_client::{Grab, Item, VideoChroma};

fn use_our_plugin() {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    let dir = DIR.get_or_init(|| {
        let profile_dir = std::env::current_exe().unwrap().parent().unwrap().parent().unwrap().to_path_buf();
        smem_testkit::plugin::copy_plugin(&profile_dir, "client-attach-plugins")
    });
    std::env::set_var("VLC_PLUGIN_PATH", dir);
}

/// `count` pictures of raw video at 25 fps, each different (a bar that
/// moves 4 pixels a picture across the width): picture n is at n * 40 ms.
fn clip(name: &str, count: usize) -> (String, Vec<Vec<u8>>) {
    let dir = std::env::temp_dir().join(format!("smem-client-attach-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name).to_str().unwrap().to_owned();
    smem_testkit::media::write_y4m(&path, count * 4, 16, 25, count).unwrap();
    let (_, _, pictures) = smem_testkit::media::read_y4m(&path).unwrap();
    (path, pictures)
}

/// Plays `path` on the application's player in real time, attached to,
/// while `drive` does what an application does (then, with `stop`, the
/// grab stops); each frame's (picture number, media time in microseconds).
fn play_attached(path: &str, pictures: &[Vec<u8>], drive: impl FnOnce(&Player), stop: bool) -> Vec<(usize, i64)> {
    use_our_plugin();
    let instance = Instance::new(&["--no-xlib", "--quiet", "--aout=dummy", "--vout=dummy"]).unwrap();
    let player = Player::new(&instance.media(path).unwrap()).unwrap();
    // SAFETY: a live player of this process's libvlc; the grab holds its own reference.
    let grab = unsafe { Grab::attach(player.as_raw()) }.realtime(true);
    let frames = grab.frames(Some(VideoChroma::I420), None, 8);
    let stopper = frames.stop_handle();
    player.play().unwrap();
    let reader = std::thread::spawn({
        let pictures = pictures.to_vec();
        move || {
            let mut got = Vec::new();
            for item in frames {
                let Item::Video(f) = item else { continue };
                let n = pictures.iter().position(|p| p[..] == f.data[..]).expect("one of the clip's pictures");
                got.push((n, f.time_us));
            }
            got
        }
    });
    drive(&player);
    if stop {
        stopper.stop();
    }
    reader.join().unwrap()
}

#[test]
fn a_pause_leaves_every_frame_at_its_picture_s_time() {
    let (path, pictures) = clip("pause.y4m", 100);
    let got = play_attached(
        &path,
        &pictures,
        |player| {
            std::thread::sleep(Duration::from_millis(1500));
            player.set_pause(true);
            std::thread::sleep(Duration::from_secs(1));
            player.set_pause(false);
        },
        false,
    );
    assert!(got.len() >= 95, "{} frames", got.len());
    let wrong: Vec<_> = got.iter().filter(|(n, t)| *t != *n as i64 * 40_000).collect();
    assert!(wrong.is_empty(), "(picture, time): {wrong:?}");
}

#[test]
fn the_application_s_seeks_leave_every_frame_at_its_picture_s_time() {
    // VLC 3's transcode gives no picture after a seek until its clock
    // passes where it was (its encoder refuses a pts from the past): each
    // seek is given time.
    let (path, pictures) = clip("seek.y4m", 250);
    let got = play_attached(
        &path,
        &pictures,
        |player| {
            std::thread::sleep(Duration::from_millis(1000));
            player.set_time(5_000);
            std::thread::sleep(Duration::from_millis(2500));
            player.set_time(3_000);
            std::thread::sleep(Duration::from_millis(2500));
        },
        true,
    );
    let wrong: Vec<_> = got.iter().filter(|(n, t)| *t != *n as i64 * 40_000).collect();
    assert!(wrong.is_empty(), "(picture, time): {wrong:?}");
    let shown: Vec<usize> = got.iter().map(|(n, _)| *n).collect();
    assert!(shown.windows(2).any(|w| w[1] > w[0] + 10), "the seek forward was played: {shown:?}");
    assert!(shown.windows(2).any(|w| w[1] < w[0]), "the seek back was played: {shown:?}");
}
