# Turns a text file into a C header holding it as one string constant.
# cmake -DIN=file -DOUT=header -DNAME=symbol -P embed_text.cmake
file(READ ${IN} text HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${text}")
file(WRITE ${OUT} "/* generated from ${IN}: do not edit */\nstatic const char ${NAME}[] = {${bytes} 0x00};\n")
