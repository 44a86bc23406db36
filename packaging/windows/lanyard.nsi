; Lanyard's Windows installer, built on Linux by scripts/windows with Debian's makensis:
;   makensis -DVERSION=0.1.0 -DAPP=lanyard-app.exe -DCONSOLE=lanyard-console.exe \
;            -DICON=icons/icon.ico -DOUTFILE=Lanyard-0.1.0-setup.exe lanyard.nsi
;
; Per user, no administrator: %LOCALAPPDATA%\Programs\Lanyard holds lanyard-app.exe (the
; app and the CLI in one executable), lanyard.exe (its console front door, on the user's
; PATH), WebView2Loader.dll and the uninstaller. Everything registered goes under HKCU:
; the lanyard: and app.lanyard.desktop: URL schemes, the .lanyard-provider, .lanyard-offer
; and .lanyard-contact file types (each opening `lanyard-app.exe "%1"`), the Start-menu
; entry and the Apps & features entry. The uninstaller removes all of it and keeps the
; user's data (%APPDATA%\app.lanyard.desktop) unless asked (/PURGE when silent).
; tests/windows/installer checks all of this under Wine.

Unicode true
; Debian's wine64 runs 64-bit programs only, and Lanyard is a 64-bit program.
Target amd64-unicode
SetCompressor /SOLID lzma
RequestExecutionLevel user
ManifestDPIAware true

!ifndef VERSION
  !error "VERSION is not defined (scripts/windows passes it)"
!endif

!define NAME "Lanyard"
!define IDENT "app.lanyard.desktop"
!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Lanyard"
!define WEBVIEW2_GUID "{F3017226-FE2A-4295-8BDF-00C3A9A7E4C5}"
!define WEBVIEW2_URL "https://developer.microsoft.com/microsoft-edge/webview2/"

!include "LogicLib.nsh"
!include "WinMessages.nsh"
!include "FileFunc.nsh"
!include "StrFunc.nsh"
${StrStr}
${UnStrRep}

Name "${NAME}"
OutFile "${OUTFILE}"
Icon "${ICON}"
UninstallIcon "${ICON}"
InstallDir "$LOCALAPPDATA\Programs\Lanyard"
ShowInstDetails show
ShowUninstDetails show
VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${NAME}"
VIAddVersionKey "FileDescription" "${NAME} installer"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "LegalCopyright" "MIT OR Apache-2.0"

Page directory
Page instfiles
UninstPage uninstConfirm
UninstPage instfiles

; A URL scheme under HKCU\Software\Classes\<scheme>, opened by the app.
!macro RegisterScheme SCHEME DESCRIPTION
  WriteRegStr HKCU "Software\Classes\${SCHEME}" "" "URL:${DESCRIPTION}"
  WriteRegStr HKCU "Software\Classes\${SCHEME}" "URL Protocol" ""
  WriteRegStr HKCU "Software\Classes\${SCHEME}\DefaultIcon" "" '"$INSTDIR\lanyard-app.exe",0'
  WriteRegStr HKCU "Software\Classes\${SCHEME}\shell\open\command" "" '"$INSTDIR\lanyard-app.exe" "%1"'
!macroend

; A file type: the extension names a ProgID, the ProgID opens the app.
!macro RegisterFileType EXT PROGID DESCRIPTION
  WriteRegStr HKCU "Software\Classes\${EXT}" "" "${PROGID}"
  WriteRegStr HKCU "Software\Classes\${PROGID}" "" "${DESCRIPTION}"
  WriteRegStr HKCU "Software\Classes\${PROGID}\DefaultIcon" "" '"$INSTDIR\lanyard-app.exe",0'
  WriteRegStr HKCU "Software\Classes\${PROGID}\shell\open\command" "" '"$INSTDIR\lanyard-app.exe" "%1"'
!macroend

; The extension's key is removed only while it still names our ProgID.
!macro UnregisterFileType EXT PROGID
  ReadRegStr $0 HKCU "Software\Classes\${EXT}" ""
  ${If} $0 == "${PROGID}"
    DeleteRegKey HKCU "Software\Classes\${EXT}"
  ${EndIf}
  DeleteRegKey HKCU "Software\Classes\${PROGID}"
!macroend

Function .onInit
  SetShellVarContext current
FunctionEnd

Function un.onInit
  SetShellVarContext current
FunctionEnd

; The WebView2 runtime, machine-wide or for this user. Without it only the window cannot
; start (the CLI works), so the install goes on after saying what to install.
Function CheckWebView2
  ReadRegStr $0 HKLM "SOFTWARE\WOW6432Node\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    ReadRegStr $0 HKLM "SOFTWARE\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  ${EndIf}
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    ReadRegStr $0 HKCU "Software\Microsoft\EdgeUpdate\Clients\${WEBVIEW2_GUID}" "pv"
  ${EndIf}
  ${If} $0 == ""
  ${OrIf} $0 == "0.0.0.0"
    DetailPrint "The Microsoft Edge WebView2 Runtime is not installed: Lanyard's window needs it."
    MessageBox MB_OK|MB_ICONEXCLAMATION "Lanyard's window needs the Microsoft Edge WebView2 Runtime, which is not installed on this computer.$\r$\n$\r$\nInstall the Evergreen Bootstrapper or Standalone Installer from ${WEBVIEW2_URL} before starting Lanyard.$\r$\n$\r$\nThe command line (lanyard) works without it." /SD IDOK
  ${Else}
    DetailPrint "WebView2 Runtime $0 found."
  ${EndIf}
FunctionEnd

Section "Lanyard"
  SetOutPath "$INSTDIR"
  File "/oname=lanyard-app.exe" "${APP}"
  File "/oname=lanyard.exe" "${CONSOLE}"
  !ifdef WEBVIEW2_LOADER
    File "/oname=WebView2Loader.dll" "${WEBVIEW2_LOADER}"
  !endif
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateShortCut "$SMPROGRAMS\Lanyard.lnk" "$INSTDIR\lanyard-app.exe" "" "$INSTDIR\lanyard-app.exe" 0

  !insertmacro RegisterScheme "lanyard" "Lanyard link"
  !insertmacro RegisterScheme "${IDENT}" "Lanyard sign-in"
  !insertmacro RegisterFileType ".lanyard-provider" "Lanyard.Provider" "Lanyard sign-in service"
  !insertmacro RegisterFileType ".lanyard-offer" "Lanyard.Offer" "Lanyard token offer"
  !insertmacro RegisterFileType ".lanyard-contact" "Lanyard.Contact" "Lanyard contact card"

  ; The CLI on the user's PATH (HKCU\Environment), once.
  ReadRegStr $0 HKCU "Environment" "Path"
  ${StrStr} $1 "$0;" "$INSTDIR;"
  ${If} $1 == ""
    ${If} $0 == ""
      WriteRegExpandStr HKCU "Environment" "Path" "$INSTDIR"
    ${Else}
      WriteRegExpandStr HKCU "Environment" "Path" "$0;$INSTDIR"
    ${EndIf}
    SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=500
  ${EndIf}

  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "${NAME}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "Lanyard"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" '"$INSTDIR\lanyard-app.exe",0'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" "$0"

  Call CheckWebView2
SectionEnd

Section "Uninstall"
  ; A running app keeps its executable locked; ask it to close first.
  nsExec::Exec 'taskkill /IM lanyard-app.exe'
  Delete "$INSTDIR\lanyard-app.exe"
  Delete "$INSTDIR\lanyard.exe"
  Delete "$INSTDIR\WebView2Loader.dll"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\Lanyard.lnk"

  DeleteRegKey HKCU "Software\Classes\lanyard"
  DeleteRegKey HKCU "Software\Classes\${IDENT}"
  !insertmacro UnregisterFileType ".lanyard-provider" "Lanyard.Provider"
  !insertmacro UnregisterFileType ".lanyard-offer" "Lanyard.Offer"
  !insertmacro UnregisterFileType ".lanyard-contact" "Lanyard.Contact"

  ; Off the user's PATH: every ";<dir>" and a lone "<dir>".
  ReadRegStr $0 HKCU "Environment" "Path"
  ${If} $0 == "$INSTDIR"
    DeleteRegValue HKCU "Environment" "Path"
  ${Else}
    ${UnStrRep} $0 "$0" ";$INSTDIR" ""
    ${UnStrRep} $0 "$0" "$INSTDIR;" ""
    WriteRegExpandStr HKCU "Environment" "Path" "$0"
  ${EndIf}
  SendMessage ${HWND_BROADCAST} ${WM_SETTINGCHANGE} 0 "STR:Environment" /TIMEOUT=500

  DeleteRegKey HKCU "${UNINSTALL_KEY}"

  ; The user's data stays unless asked: /PURGE on the command line, or "Yes" below.
  ${GetParameters} $0
  ClearErrors
  ${GetOptions} $0 "/PURGE" $1
  ${IfNot} ${Errors}
    RMDir /r "$APPDATA\${IDENT}"
  ${Else}
    IfSilent keep
    MessageBox MB_YESNO|MB_ICONQUESTION|MB_DEFBUTTON2 "Also delete your Lanyard data (accounts, players, tokens, history) in $APPDATA\${IDENT}?$\r$\n$\r$\nSecrets in Windows Credential Manager (entries ending in .lanyard) stay until you remove them there." IDNO keep
    RMDir /r "$APPDATA\${IDENT}"
    keep:
  ${EndIf}
SectionEnd
