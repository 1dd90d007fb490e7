rockspec_format = "3.0"
package = "qvrpro"
version = "scm-1"
source = {
   url = "git+https://github.com/qvrpro/qvrpro.git",
   branch = "main",
}
description = {
   summary = "Automation toolkit for QNAP QVR Pro surveillance NVRs",
   detailed = [[
Sessions, camera queries, live and playback frame iterators (C core on
libcurl, cJSON and libxml2), playback export, snapshot capture, scheduled
recording and the `qvr` command, with a QVR Pro simulator for tests.
]],
   license = "MIT",
   homepage = "https://github.com/qvrpro/qvrpro",
}
dependencies = {
   "lua >= 5.4",
}
external_dependencies = {
   -- curl's headers sit in the multiarch include folder on Debian, so only
   -- the library is looked up; the compiler finds <curl/curl.h> by itself.
   CURL = { library = "curl" },
   CJSON = { header = "cjson/cJSON.h", library = "cjson" },
   LIBXML2 = { header = "libxml2/libxml/parser.h", library = "xml2" },
   -- FFmpeg's headers are in the multiarch include folder too (libavformat-dev)
   AVFORMAT = { library = "avformat" },
   -- the simulator (qvrpro.simulator, `qvr sim`)
   MHD = { header = "microhttpd.h", library = "microhttpd" },
   GNUTLS = { library = "gnutls" },
   GST = { header = "gstreamer-1.0/gst/gst.h", library = "gstrtspserver-1.0" },
   GLIB = { library = "glib-2.0" },
}
build = {
   type = "builtin",
   modules = {
      ["qvrpro.core"] = {
         sources = {
            "csrc/lua/core.c",
            "csrc/lua/errobj.c",
            "csrc/lua/frame.c",
            "csrc/lua/session.c",
            "csrc/lua/camera.c",
            "csrc/lua/stream.c",
            "csrc/lua/playback.c",
            "csrc/lua/remote_close.c",
            "csrc/lua/fs.c",
            "csrc/lua/answer.c",
            "csrc/net/http.c",
            "csrc/proto/encode.c",
            "csrc/proto/xml.c",
            "csrc/proto/json.c",
            "csrc/proto/parser.c",
            "csrc/proto/errors.c",
            "csrc/proto/rest.c",
            "csrc/proto/errname.c",
            "csrc/proto/verdict.c",
            "csrc/proto/dump.c",
            "csrc/lua/dumpobj.c",
         },
         libraries = { "curl", "cjson", "xml2" },
         incdirs = { "csrc/proto", "csrc/net", "csrc/lua", "$(CJSON_INCDIR)", "$(LIBXML2_INCDIR)/libxml2" },
         libdirs = { "$(CURL_LIBDIR)", "$(CJSON_LIBDIR)", "$(LIBXML2_LIBDIR)" },
      },
      -- a module of its own: libavcodec pulls in ~100 shared libraries that
      -- only scripts writing containers should load (csrc/lua/muxobj.c)
      ["qvrpro.mux"] = {
         sources = { "csrc/lua/muxobj.c", "csrc/lua/joinobj.c", "csrc/lua/exportobj.c",
                     "csrc/media/mux.c", "csrc/media/join.c", "csrc/media/exportloop.c",
                     "csrc/media/aacenc.c", "csrc/proto/codec.c" },
         libraries = { "avformat", "avcodec", "avutil" },
         incdirs = { "csrc/proto", "csrc/media", "csrc/lua" },
         libdirs = { "$(AVFORMAT_LIBDIR)" },
      },
      -- the simulator, so `qvr sim` works after `luarocks make`: a rock cannot
      -- build executables, so it is a module whose main() is the simulator's
      -- (tools/sim/lua/simmod.c); spec/rockspec_spec.lua checks this list
      -- against tools/sim/*.c.  Its media go along (copy_directories).
      ["qvrpro.simulator"] = {
         sources = {
            "tools/sim/lua/simmod.c",
            "tools/sim/answer.c",
            "tools/sim/archive.c",
            "tools/sim/auth.c",
            "tools/sim/camera.c",
            "tools/sim/clip.c",
            "tools/sim/config.c",
            "tools/sim/debug.c",
            "tools/sim/default_config.c",
            "tools/sim/dump.c",
            "tools/sim/dump_write.c",
            "tools/sim/frame.c",
            "tools/sim/http.c",
            "tools/sim/logs.c",
            "tools/sim/main.c",
            "tools/sim/media.c",
            "tools/sim/options.c",
            "tools/sim/qplay.c",
            "tools/sim/rest.c",
            "tools/sim/rest_camera.c",
            "tools/sim/rest_stream.c",
            "tools/sim/router.c",
            "tools/sim/rtsp.c",
            "tools/sim/stream.c",
            "tools/sim/switches.c",
            "tools/sim/util.c",
            "tools/sim/vault.c",
         },
         defines = { "main=qvrsim_main" },
         libraries = { "microhttpd", "cjson", "gnutls", "gstrtspserver-1.0", "gstreamer-1.0",
                       "gobject-2.0", "glib-2.0", "avformat", "avcodec", "avutil", "pthread", "m" },
         incdirs = { "tools/sim", "csrc/proto", "$(CJSON_INCDIR)", "$(MHD_INCDIR)",
                     "$(GST_INCDIR)/gstreamer-1.0", "$(GST_INCDIR)/glib-2.0",
                     "$(GLIB_LIBDIR)/glib-2.0/include" },
         libdirs = { "$(MHD_LIBDIR)", "$(CJSON_LIBDIR)", "$(GNUTLS_LIBDIR)", "$(GST_LIBDIR)",
                     "$(GLIB_LIBDIR)", "$(AVFORMAT_LIBDIR)" },
      },
      ["qvrpro"] = "lua/qvrpro/init.lua",
      ["qvrpro.cli"] = "lua/qvrpro/cli.lua",
      ["qvrpro.cli.args"] = "lua/qvrpro/cli/args.lua",
      ["qvrpro.cli.common"] = "lua/qvrpro/cli/common.lua",
      ["qvrpro.cli.cameras"] = "lua/qvrpro/cli/cameras.lua",
      ["qvrpro.cli.snapshot"] = "lua/qvrpro/cli/snapshot.lua",
      ["qvrpro.cli.record"] = "lua/qvrpro/cli/record.lua",
      ["qvrpro.cli.logs"] = "lua/qvrpro/cli/logs.lua",
      ["qvrpro.cli.live"] = "lua/qvrpro/cli/live.lua",
      ["qvrpro.cli.export"] = "lua/qvrpro/cli/export.lua",
      ["qvrpro.cli.clip"] = "lua/qvrpro/cli/clip.lua",
      ["qvrpro.cli.url"] = "lua/qvrpro/cli/url.lua",
      ["qvrpro.cli.alarm"] = "lua/qvrpro/cli/alarm.lua",
      ["qvrpro.cli.ptz"] = "lua/qvrpro/cli/ptz.lua",
      ["qvrpro.cli.capabilities"] = "lua/qvrpro/cli/capabilities.lua",
      ["qvrpro.cli.schedule"] = "lua/qvrpro/cli/schedule.lua",
      ["qvrpro.cli.sim"] = "lua/qvrpro/cli/sim.lua",
      ["qvrpro.cli.version"] = "lua/qvrpro/cli/version.lua",
      ["qvrpro.cli.doctor"] = "lua/qvrpro/cli/doctor.lua",
      ["qvrpro.cli.config"] = "lua/qvrpro/cli/config.lua",
      ["qvrpro.cli.completion"] = "lua/qvrpro/cli/completion.lua",
      ["qvrpro.config"] = "lua/qvrpro/config.lua",
      ["qvrpro.path"] = "lua/qvrpro/path.lua",
      ["qvrpro.logins"] = "lua/qvrpro/logins.lua",
      ["qvrpro.localtime"] = "lua/qvrpro/localtime.lua",
      ["qvrpro.time"] = "lua/qvrpro/time.lua",
      ["qvrpro.camera"] = "lua/qvrpro/camera.lua",
      ["qvrpro.media"] = "lua/qvrpro/media.lua",
      ["qvrpro.snapshot"] = "lua/qvrpro/snapshot.lua",
      ["qvrpro.json"] = "lua/qvrpro/json.lua",
      ["qvrpro.schedule"] = "lua/qvrpro/schedule.lua",
      ["qvrpro.sink.common"] = "lua/qvrpro/sink/common.lua",
      ["qvrpro.sink.container"] = "lua/qvrpro/sink/container.lua",
      ["qvrpro.sink.dump"] = "lua/qvrpro/sink/dump.lua",
      ["qvrpro.sink.journal"] = "lua/qvrpro/sink/journal.lua",
      ["qvrpro.sink.h264"] = "lua/qvrpro/sink/h264.lua",
      ["qvrpro.sink.jpeg"] = "lua/qvrpro/sink/jpeg.lua",
      ["qvrpro.schedule.common"] = "lua/qvrpro/schedule/common.lua",
      ["qvrpro.schedule.config"] = "lua/qvrpro/schedule/config.lua",
      ["qvrpro.schedule.export"] = "lua/qvrpro/schedule/export.lua",
      ["qvrpro.schedule.plan"] = "lua/qvrpro/schedule/plan.lua",
      ["qvrpro.schedule.record"] = "lua/qvrpro/schedule/record.lua",
      ["qvrpro.schedule.runner"] = "lua/qvrpro/schedule/runner.lua",
      ["qvrpro.schedule.snapshot"] = "lua/qvrpro/schedule/snapshot.lua",
      ["qvrpro.schedule.store"] = "lua/qvrpro/schedule/store.lua",
      ["qvrpro.schedule.times"] = "lua/qvrpro/schedule/times.lua",
      ["qvrpro.cron"] = "lua/qvrpro/cron.lua",
      ["qvrpro.tz"] = "lua/qvrpro/tz.lua",
      ["qvrpro.dump"] = "lua/qvrpro/dump.lua",
      ["qvrpro.export"] = "lua/qvrpro/export.lua",
      ["qvrpro.rest"] = "lua/qvrpro/rest.lua",
      ["qvrpro.vault"] = "lua/qvrpro/vault.lua",
   },
   install = {
      bin = { qvr = "bin/qvr" },
   },
   -- tools/media: the simulator's media; doc: qvr.1 and qvr.bash (bash completion),
   -- generated by `qvr completion man|bash` (spec/cli_completion_spec.lua keeps them current)
   copy_directories = { "tools/media", "doc" },
}
