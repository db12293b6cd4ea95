/* ProcessPrng for Wine 8, which has no bcryptprimitives.dll: Rust's standard library (1.78
 * and later) imports it for random numbers. It forwards to RtlGenRandom (SystemFunction036),
 * which Wine 8 has. Not needed on Windows, nor on Wine 9 and later. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len) {
        ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        len -= n;
    }
    return TRUE;
}
