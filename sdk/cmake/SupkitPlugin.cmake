# SPDX-License-Identifier: MIT
# supkit_add_plugin(NAME SOURCES src... [LIBRARIES lib...] [OUTPUT_DIRECTORY dir])
#
# Builds NAME.so as a supkit plugin: no "lib" prefix, hidden visibility
# (only sup_plugin_entry is exported), every symbol resolved at link and
# load time (-z defs, -z now).
function(supkit_add_plugin name)
	cmake_parse_arguments(P "" "OUTPUT_DIRECTORY" "SOURCES;LIBRARIES" ${ARGN})
	add_library(${name} MODULE ${P_SOURCES})
	if(TARGET supkit::sdk)
		target_link_libraries(${name} PRIVATE supkit::sdk)
	endif()
	target_link_libraries(${name} PRIVATE ${P_LIBRARIES})
	set_target_properties(${name} PROPERTIES
		PREFIX "" SUFFIX ".so"
		C_VISIBILITY_PRESET hidden
		POSITION_INDEPENDENT_CODE ON)
	target_link_options(${name} PRIVATE "LINKER:-z,defs" "LINKER:-z,now")
	if(P_OUTPUT_DIRECTORY)
		set_target_properties(${name} PROPERTIES
			LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIRECTORY})
	endif()
endfunction()
