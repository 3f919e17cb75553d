using System.Runtime.InteropServices;
using RedisHaActors.Hosting;

namespace RedisHaActors.Tests.Hosting;

public sealed class NativeHeapTrimmerTests
{
    [Fact]
    public void Returns_freed_native_heap_below_live_blocks_to_the_kernel()
    {
        // 16 MB of small malloc blocks (below glibc's mmap threshold, so on the heap), all freed
        // except the last: glibc cannot shrink the heap's top past it on its own, malloc_trim can.
        const int blocks = 1024, size = 16 * 1024;
        var pointers = new IntPtr[blocks];
        var ones = Enumerable.Repeat((byte)1, size).ToArray();
        for (var i = 0; i < blocks; i++)
        {
            pointers[i] = Marshal.AllocHGlobal(size);
            Marshal.Copy(ones, 0, pointers[i], size); // touched, so resident
        }
        try
        {
            for (var i = 0; i < blocks - 1; i++)
            {
                Marshal.FreeHGlobal(pointers[i]);
                pointers[i] = IntPtr.Zero;
            }
            // This machine (Debian, glibc) has malloc_trim; null would mean the binding is wrong.
            Assert.True(NativeHeapTrimmer.Trim(), "malloc_trim(0) released the freed blocks");
        }
        finally
        {
            foreach (var p in pointers)
                if (p != IntPtr.Zero) Marshal.FreeHGlobal(p);
        }
    }
}
