# trampoline.S: where an application processor starts, from real mode to Rust in long mode.
#
# Entry state: a STARTUP IPI with vector {tramp_page} >> 12 starts the AP in 16-bit real mode at
# CS:IP = (vector << 8):0000, that is at physical address {tramp_page}, where smp.rs copied the
# code between trampoline_start and trampoline_end (it must lie in one page below 1 MiB, which
# the MP spec requires of a STARTUP vector). Interrupts are off; all other state is the
# processor's reset state.
#
# Protocol: smp.rs fills the parameter block at trampoline_params (struct TrampolineParams,
# offsets passed in as constants) before each STARTUP IPI: the kernel's page-table root, the top
# of this CPU's kernel stack, the Rust entry point and the CPU number.
#   16-bit: load a temporary GDT, set CR0.PE, far-jump into 32-bit code.
#   32-bit: boot.S's enter_long_mode, as on the boot CPU: PAE, CR3 = boot_pml4 (which maps low
#           memory one-to-one and the kernel image in the top 2 GiB), EFER.LME and NXE,
#           paging; then far-jump into 64-bit code.
#   64-bit: still running at the low copy; jump to the upper half, read the parameters, switch
#           to the kernel page tables and the CPU's own stack, call entry(cpu).
#
# Everything before trampoline_end runs at the copy's address, not where it was linked, so it
# addresses itself as {tramp_page} + (label - trampoline_start).

    .text
    .code16
    # Aligned, so that alignments inside (the parameter block's) hold in the copy too.
    .p2align 4
    .global trampoline_start
trampoline_start:
    cli
    cld
    xorw %ax, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    lgdtl {tramp_page} + (trampoline_gdt_pointer - trampoline_start)
    movl %cr0, %eax
    orl $1, %eax
    movl %eax, %cr0
    ljmpl ${code32}, ${tramp_page} + (trampoline_32 - trampoline_start)

    .code32
trampoline_32:
    movw ${data}, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    # The same switch as the boot CPU's (boot.S), on a stack at the top of this page; called
    # by absolute address, since this code does not run where it was linked.
    movl ${tramp_page} + {page_size}, %esp
    movl $enter_long_mode, %eax
    call *%eax
    ljmp ${code64}, ${tramp_page} + (trampoline_64 - trampoline_start)

    .code64
trampoline_64:
    movabsq $trampoline_high, %rax
    jmp *%rax

    .p2align 3
trampoline_gdt:
    .quad 0                         # null
    .quad 0x00cf9a000000ffff        # {code32}: 32-bit code (4 GiB, 32-bit default size)
    .quad {data_descriptor}         # {data}: data
    .quad {code64_descriptor}       # {code64}: 64-bit code
trampoline_gdt_pointer:
    .word trampoline_gdt_pointer - trampoline_gdt - 1
    .long {tramp_page} + (trampoline_gdt - trampoline_start)

    .p2align 3
    .global trampoline_params
trampoline_params:
    .fill {params_size}, 1, 0
    .global trampoline_end
trampoline_end:

# The rest runs where it is linked, in the upper half (boot_pml4 maps it).
trampoline_high:
    movq {tramp_page} + (trampoline_params - trampoline_start) + {p_root}, %rax
    movq {tramp_page} + (trampoline_params - trampoline_start) + {p_stack}, %rsp
    movq {tramp_page} + (trampoline_params - trampoline_start) + {p_cpu}, %rdi
    movq {tramp_page} + (trampoline_params - trampoline_start) + {p_entry}, %rcx
    # From here on the low page is gone: only the kernel's own mappings remain.
    movq %rax, %cr3
    xorl %ebp, %ebp
    callq *%rcx
    ud2
