/*
 * default_config.c - the built-in config: exactly tools/sim/default.json.
 *
 * Keep the two identical (`qvrsim --print-default-config | diff - default.json`).
 */
#include "config.h"

const char default_config_json[] =
    "{\n"
    "  \"users\": [\n"
    "    {\"name\": \"admin\", \"password\": \"admin\", \"admin\": true, \"surveillance\": true},\n"
    "    {\"name\": \"viewer\", \"password\": \"viewer\", \"admin\": false, \"surveillance\": false}\n"
    "  ],\n"
    "  \"cameras\": [\n"
    "    {\"name\": \"Front Door\", \"guid\": \"00089BF9B26200089BF9B26200080000\",\n"
    "     \"umsid\": \"0000000100400002\", \"brand\": \"VIVOTEK\", \"model\": \"IP8130\",\n"
    "     \"mac\": \"00:02:D1:28:7E:D6\", \"ver\": \"IP8130-VVTK-0101a\", \"ip\": \"10.64.104.143\",\n"
    "     \"port\": \"80\", \"video\": \"h264_720p\", \"audio\": \"aac\", \"fps\": 10,\n"
    "     \"status\": \"connected\", \"rec_state\": \"RECORDING\", \"gaps\": [[3600, 600]],\n"
    "     \"alarm_output\": true},\n"
    "    {\"name\": \"Back Yard\", \"guid\": \"8FBC58E2F7274AF3B6F6761E90FB0001\",\n"
    "     \"umsid\": \"0000000200510007\", \"brand\": \"AXIS\", \"model\": \"M3046-V\",\n"
    "     \"mac\": \"AC:CC:8E:11:22:33\", \"ver\": \"9.80.1\", \"ip\": \"10.64.104.144\",\n"
    "     \"port\": \"80\", \"video\": \"h264_360p\", \"audio\": \"g711\", \"fps\": 10,\n"
    "     \"status\": \"connected\", \"rec_state\": \"NOT_RECORDING\", \"gaps\": [], \"ptz\": true},\n"
    "    {\"name\": \"Garage\", \"guid\": \"4A1E0C7D9B3F4E21A5C6D7E8F9000002\",\n"
    "     \"umsid\": \"0000000300200011\", \"brand\": \"HIKVISION\", \"model\": \"DS-2CD2\",\n"
    "     \"mac\": \"44:19:B6:AA:BB:CC\", \"ver\": \"V5.5.0\", \"ip\": \"10.64.104.145\",\n"
    "     \"port\": \"8000\", \"video\": \"mjpeg\", \"audio\": \"none\", \"fps\": 5,\n"
    "     \"status\": \"connected\", \"rec_state\": \"RECORDING\", \"gaps\": []},\n"
    "    {\"name\": \"Lobby\", \"guid\": \"C0FFEE00112233445566778899AA0003\",\n"
    "     \"umsid\": \"0000000400300021\", \"brand\": \"QNAP\", \"model\": \"QUSBCAM\",\n"
    "     \"mac\": \"24:5E:BE:01:02:03\", \"ver\": \"1.0.2\", \"ip\": \"10.64.104.146\",\n"
    "     \"port\": \"80\", \"video\": \"h264_360p\", \"audio\": \"none\", \"fps\": 10,\n"
    "     \"status\": \"disconnected\", \"rec_state\": \"NOT_RECORDING\", \"gaps\": []}\n"
    "  ]\n"
    "}\n";
