// The photo camera of the Live trial page. The live video that reaches the server is scaled down
// by WebRTC whenever bandwidth or CPU run short, which a photo for the API must not be; so the
// photo is a full-resolution still taken here, in the browser, when the server asks for one.
//
// data:  {request: number | null, width, height, videoKey: the streamlit-webrtc component's key,
//         cameraKnown: whether the server has this camera's size}
// state: camera = {width, height, label} | {error}; still = {request, jpeg (base64), width, height}

const CAMERAS = new Map(); // per component key: survives re-renders, stopped on unmount

// The camera picked in streamlit-webrtc's "Select device" (it keeps the choice in localStorage,
// same origin as the app), so the photo comes from the camera the guidance is watching.
function chosenDevice(videoKey) {
  for (const name of [`streamlit-webrtc:device-ids:${videoKey}`, "streamlit-webrtc:device-ids"]) {
    try {
      const ids = JSON.parse(window.localStorage.getItem(name) ?? "null");
      if (typeof ids?.video === "string") return ids.video;
    } catch {
      // no storage, or not ours to read: the default camera
    }
  }
  return null;
}

function stopCamera(key) {
  CAMERAS.get(key)?.stream?.getTracks().forEach((track) => track.stop());
  CAMERAS.delete(key);
}

function openCamera(key, data, setStateValue) {
  const device = chosenDevice(data.videoKey);
  const camera = { video: document.createElement("video"), handled: null, device };
  camera.video.muted = true;
  camera.video.playsInline = true;
  const video = { width: { ideal: data.width }, height: { ideal: data.height } };
  if (device) video.deviceId = { ideal: device };
  const opening = navigator.mediaDevices?.getUserMedia
    ? navigator.mediaDevices.getUserMedia({ video, audio: false })
    : Promise.reject(new Error("this page has no camera access (it needs https or localhost)"));
  camera.ready = opening
    .then(async (stream) => {
      camera.stream = stream;
      camera.video.srcObject = stream;
      await camera.video.play();
      const track = stream.getVideoTracks()[0];
      camera.info = {
        width: camera.video.videoWidth,
        height: camera.video.videoHeight,
        label: track.label,
      };
      setStateValue("camera", camera.info);
    })
    .catch((error) => {
      setStateValue("camera", { error: `${error.name}: ${error.message}` });
      throw error;
    });
  CAMERAS.set(key, camera);
  return camera;
}

function takeStill(camera, request, setStateValue) {
  const { video } = camera;
  const canvas = document.createElement("canvas");
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
  canvas.getContext("2d").drawImage(video, 0, 0);
  canvas.toBlob(
    (blob) => {
      const reader = new FileReader();
      reader.onload = () =>
        setStateValue("still", {
          request,
          jpeg: reader.result.split(",", 2)[1],
          width: canvas.width,
          height: canvas.height,
        });
      reader.readAsDataURL(blob);
    },
    "image/jpeg",
    0.92,
  );
}

export default function ({ key, data, setStateValue }) {
  let camera = CAMERAS.get(key);
  if (camera && camera.device !== chosenDevice(data.videoKey)) {
    stopCamera(key);
    camera = undefined;
  }
  camera ??= openCamera(key, data, setStateValue);
  // The server forgets the camera's size when this element was off the page for a run; say it
  // again (as a new value, at most every two seconds, so the page hears it).
  if (camera.info && !data.cameraKnown && Date.now() - (camera.repeatedAt ?? 0) > 2000) {
    camera.repeatedAt = Date.now();
    setStateValue("camera", { ...camera.info, repeatedAt: camera.repeatedAt });
  }
  if (data.request != null && data.request !== camera.handled) {
    camera.handled = data.request;
    camera.ready.then(() => takeStill(camera, data.request, setStateValue)).catch(() => {});
  }
  return () => stopCamera(key);
}
