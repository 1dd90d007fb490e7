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
            "csrc/lua/fs.c",
            "csrc/lua/answer.c",
            "csrc/net/http.c",
            "csrc/proto/encode.c",
            "csrc/proto/xml.c",
            "csrc/proto/json.c",
            "csrc/proto/parser.c",
            "csrc/proto/errors.c",
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
         sources = { "csrc/lua/muxobj.c", "csrc/media/mux.c", "csrc/media/aacenc.c", "csrc/proto/codec.c" },
         libraries = { "avformat", "avcodec", "avutil" },
         incdirs = { "csrc/proto", "csrc/media", "csrc/lua" },
         libdirs = { "$(AVFORMAT_LIBDIR)" },
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
      ["qvrpro.cli.schedule"] = "lua/qvrpro/cli/schedule.lua",
      ["qvrpro.cli.sim"] = "lua/qvrpro/cli/sim.lua",
      ["qvrpro.cli.version"] = "lua/qvrpro/cli/version.lua",
      ["qvrpro.config"] = "lua/qvrpro/config.lua",
      ["qvrpro.path"] = "lua/qvrpro/path.lua",
      ["qvrpro.localtime"] = "lua/qvrpro/localtime.lua",
      ["qvrpro.time"] = "lua/qvrpro/time.lua",
      ["qvrpro.camera"] = "lua/qvrpro/camera.lua",
      ["qvrpro.media"] = "lua/qvrpro/media.lua",
      ["qvrpro.snapshot"] = "lua/qvrpro/snapshot.lua",
      ["qvrpro.json"] = "lua/qvrpro/json.lua",
      ["qvrpro.schedule"] = "lua/qvrpro/schedule.lua",
      ["qvrpro.cron"] = "lua/qvrpro/cron.lua",
      ["qvrpro.tz"] = "lua/qvrpro/tz.lua",
      ["qvrpro.dump"] = "lua/qvrpro/dump.lua",
      ["qvrpro.export"] = "lua/qvrpro/export.lua",
   },
   install = {
      bin = { qvr = "bin/qvr" },
   },
}
