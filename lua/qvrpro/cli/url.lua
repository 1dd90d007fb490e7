--- qvr url: the NVR's stream output URL of a camera (REST StreamingOutput).
local args = require "qvrpro.cli.args"
local common = require "qvrpro.cli.common"

return {
  summary = "print a camera's RTSP (or HLS, RTMP) URL for ffmpeg, VLC, go2rtc, Frigate",
  usage = [=[
usage: qvr url CAMERA [--protocol rtsp|hls|rtmp] [--stream N] [--close] [--json]
Open the NVR's stream output of CAMERA (name, guid or channel) and print its
URL: rtsp (default) for ffmpeg, ffprobe, VLC, go2rtc or Frigate; hls or rtmp
where the NVR offers them.  The URL holds no credentials: a real NVR wants
rtsp://USER:PASSWORD@HOST:PORT/... (percent-encode special characters).
--close stops the RTSP output instead.  --json prints the URL with its
protocol, stream and (HLS/RTMP) token.
]=],
  connects = true,
  args = { min = 1, max = 1 },
  flags = { protocol = { values = { "rtsp", "hls", "rtmp" } }, stream = { kind = "int", min = 0 },
            close = "flag" },
  run = function(opts, argv, ctx)
    local nvr = ctx.connect()
    local cam, cerr = nvr:camera(common.camera_arg(argv[1]))
    if not cam then common.fail_with(cerr) end
    local o = { protocol = opts.protocol or "rtsp", stream = opts.stream or 0 }
    if opts.close then
      if o.protocol ~= "rtsp" then args.usage("--close works for rtsp only (hls/rtmp need their token)") end
      local ok, err = cam:close_stream_url(o)
      if not ok then common.fail_with(err, ("cannot close the stream output of %s"):format(cam.name)) end
      if opts.json then ctx.out_json({ camera = cam.name, closed = true }) end
      return 0
    end
    local url, info = cam:stream_url(o)
    if not url then common.fail_with(info, ("no %s URL for %s"):format(o.protocol, cam.name)) end
    if opts.json then
      ctx.out_json({ camera = cam.name, url = url, protocol = info.protocol, stream = info.stream,
                     token = info.token, channel_index = info.channel_index })
    else
      print(url)
    end
    return 0
  end,
}
