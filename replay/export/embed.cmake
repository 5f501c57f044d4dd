# embed.cmake - writes the report page's assets (IN: files separated by ',') into
# one C file (OUT), each as `const char NAME[]` (its file name with '.'
# and '-' as '_'), NUL-terminated: the page is one file, with no network.
#   cmake -DIN="a.js,b.css" -DOUT=assets.c -P embed.cmake
set(code "/* Generated from replay/export/ by embed.cmake: do not edit. */\n")
string(REPLACE "," ";" files "${IN}")
foreach(f ${files})
  get_filename_component(name ${f} NAME)
  string(REGEX REPLACE "[.-]" "_" name ${name})
  file(READ ${f} hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
  string(APPEND code "const char ${name}[] = {\n${bytes}0x00 };\n")
endforeach()
file(WRITE ${OUT}.tmp "${code}")
file(RENAME ${OUT}.tmp ${OUT})
