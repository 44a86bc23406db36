/* TEST HARNESS ONLY — never shipped. Wine 8 lacks bcryptprimitives.dll, whose ProcessPrng
 * Rust's standard library calls on Windows 10 and later; without it every Rust program
 * fails to start under Wine (status c0000135). tests/windows/run builds this stand-in
 * with MinGW into the throwaway Wine prefix's system32. */
#include <windows.h>
#include <bcrypt.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    return BCryptGenRandom(NULL, data, (ULONG)len, BCRYPT_USE_SYSTEM_PREFERRED_RNG) == 0;
}
