# SPDX-License-Identifier: MIT
# deb.cmake - the Debian packages supkit, supkit-agent and supkit-sdk,
# one per install component, made by CPack's DEB generator
# (-DSUPKIT_DEB=ON; scripts/deb.sh; docs/packaging.md): the files Debian
# wants beside the components' (copyright, changelog.Debian.gz, compressed
# man pages, lintian overrides), conffiles, the maintainer scripts of
# conf/deb/<package>/, and the
# CPack settings.
set(DEB_DIR ${CMAKE_CURRENT_LIST_DIR})
set(DEB_OUT ${CMAKE_BINARY_DIR}/deb)
set(DEB_REVISION 1 CACHE STRING "Debian revision of the packages")
set(DEB_VERSION ${PROJECT_VERSION}-${DEB_REVISION})
set(SUPKIT_DEB_MAINTAINER "supkit maintainers <maintainers@supkit.invalid>"
	CACHE STRING "Maintainer field of the Debian packages")

# component -> package
set(DEB_PACKAGE_runtime supkit)
set(DEB_PACKAGE_agent supkit-agent)
set(DEB_PACKAGE_sdk supkit-sdk)

# The changelog's date: SOURCE_DATE_EPOCH when set (reproducible builds).
string(TIMESTAMP DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)
find_program(GZIP_PROGRAM gzip REQUIRED)
# gzip -9n as dh_compress: no name, no time stamp, the same bytes each time.
function(deb_gzip src dst)
	add_custom_command(OUTPUT ${dst}
		COMMAND ${GZIP_PROGRAM} -9nc ${src} > ${dst}
		DEPENDS ${src} VERBATIM)
	set_property(GLOBAL APPEND PROPERTY DEB_GZ_FILES ${dst})
endfunction()

foreach(comp runtime agent sdk)
	set(pkg ${DEB_PACKAGE_${comp}})
	set(doc ${CMAKE_INSTALL_DATAROOTDIR}/doc/${pkg})
	# Debian's copyright file is the licence.
	install(FILES ${CMAKE_SOURCE_DIR}/LICENSE DESTINATION ${doc}
		RENAME copyright COMPONENT ${comp})
	file(WRITE ${DEB_OUT}/${pkg}/changelog.Debian
		"${pkg} (${DEB_VERSION}) unstable; urgency=medium\n\n"
		"  * supkit ${PROJECT_VERSION}, packaged with CPack by scripts/deb.sh\n"
		"    (docs/packaging.md).\n\n"
		" -- ${SUPKIT_DEB_MAINTAINER}  ${DEB_DATE}\n")
	deb_gzip(${DEB_OUT}/${pkg}/changelog.Debian
		${DEB_OUT}/${pkg}/changelog.Debian.gz)
	install(FILES ${DEB_OUT}/${pkg}/changelog.Debian.gz DESTINATION ${doc}
		COMPONENT ${comp})
	if(EXISTS ${DEB_DIR}/${pkg}/lintian-overrides)
		install(FILES ${DEB_DIR}/${pkg}/lintian-overrides
			DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides
			RENAME ${pkg} COMPONENT ${comp})
	endif()
endforeach()

# Man pages, compressed (the plain ones are not installed: SUPKIT_DEB in
# core/CMakeLists.txt).
deb_gzip(${CMAKE_SOURCE_DIR}/docs/man/sup.1 ${DEB_OUT}/sup.1.gz)
deb_gzip(${CMAKE_SOURCE_DIR}/docs/man/supd.8 ${DEB_OUT}/supd.8.gz)
install(FILES ${DEB_OUT}/sup.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
	COMPONENT runtime)
install(FILES ${DEB_OUT}/supd.8.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man8
	COMPONENT agent)

get_property(DEB_GZ_FILES GLOBAL PROPERTY DEB_GZ_FILES)
add_custom_target(deb_files ALL DEPENDS ${DEB_GZ_FILES})

# conffiles: every file the package installs under /etc.
file(GLOB DEB_PROFILES RELATIVE ${CMAKE_SOURCE_DIR}/conf/products
	${CMAKE_SOURCE_DIR}/conf/products/*.conf)
set(conffiles "${SUPKIT_SYSCONF_DIR}/sup.conf\n")
foreach(p ${DEB_PROFILES})
	string(APPEND conffiles "${SUPKIT_SYSCONF_DIR}/products/${p}\n")
endforeach()
file(WRITE ${DEB_OUT}/supkit/conffiles "${conffiles}")
file(WRITE ${DEB_OUT}/supkit-agent/conffiles
	"${SUPKIT_SYSCONF_DIR}/supd.conf\n")

set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime agent sdk)
set(CPACK_PACKAGE_NAME supkit)
set(CPACK_PACKAGE_VENDOR "The supkit authors")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# Each package's synopsis is the first line of its own description (an
# empty summary keeps CPack from putting the project's before it).
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "")
set(CPACK_PACKAGE_DIRECTORY ${CMAKE_BINARY_DIR}/packages)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${DEB_REVISION})
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${SUPKIT_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
# Depends: from the libraries the binaries link (dpkg-shlibdeps).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# Maintainer scripts and conffiles 0755/0644 whatever the umask.
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME supkit)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
"installer for Software Update Packages on IoT gateways
sup verifies a signed Software Update Package (signature, manifest,
compatibility, anti-rollback, every payload) before it changes anything,
then runs its actions through plugins, each in its own process, and
records every step in confirmation.json. Includes the built-in plugins
(file, exec, runtime, firmware, system), the sample configuration and
supkit-resume.service, which finishes an install interrupted by a reboot.")
set(CPACK_DEBIAN_RUNTIME_PACKAGE_CONTROL_EXTRA
	${DEB_OUT}/supkit/conffiles ${DEB_DIR}/supkit/postinst
	${DEB_DIR}/supkit/postrm)

set(CPACK_DEBIAN_AGENT_PACKAGE_NAME supkit-agent)
set(CPACK_DEBIAN_AGENT_PACKAGE_DEPENDS "supkit (= ${DEB_VERSION})")
set(CPACK_COMPONENT_AGENT_DESCRIPTION
"campaign agent of supkit (TR50)
supd polls an IoT portal over TR50 (HTTPS), downloads the Software Update
Package of each campaign job, installs it with sup and reports the outcome
exactly once, surviving its own restarts and the gateway's reboots.
supd.service is installed but not enabled: configure the portal in
/etc/supkit/supd.conf first.")
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_EXTRA
	${DEB_OUT}/supkit-agent/conffiles ${DEB_DIR}/supkit-agent/postinst
	${DEB_DIR}/supkit-agent/prerm ${DEB_DIR}/supkit-agent/postrm)

set(CPACK_DEBIAN_SDK_PACKAGE_NAME supkit-sdk)
set(CPACK_DEBIAN_SDK_PACKAGE_SECTION devel)
set(CPACK_COMPONENT_SDK_DESCRIPTION
"plugin SDK of supkit
The header sup/plugin.h, a pkg-config file and a CMake package for
building supkit plugins (shared objects that handle action types of
Software Update Packages), with an example plugin and its tutorial.")

include(CPack)
