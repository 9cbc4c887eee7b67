# boot.S: from QEMU's PVH entry (32-bit protected mode, paging off) to Rust in long mode.
#
# Entry state (Xen PVH boot ABI, which QEMU implements for `-kernel` ELF images that carry the
# XEN_ELFNOTE_PHYS32_ENTRY note below): 32-bit protected mode with flat segments, paging off,
# interrupts off, %ebx = physical address of the hvm_start_info block (boot.rs reads it).
#
# Protocol:
#   1. Fill the boot page directory: 512 2-MiB pages mapping physical 0..1 GiB.
#   2. Point the boot PML4 at it three times: at 0 (identity, so the instruction after turning on
#      paging still runs), at the physical-memory window (kernel-virtual = physical + PHYSMAP_BASE)
#      and at the kernel image window (KERNEL_VMA, the top 2 GiB, where Rust is linked).
#   3. Enable PAE, long mode and no-execute (EFER.LME, EFER.NXE), then paging and write protection;
#      far-jump into a 64-bit code segment.
#   4. Jump to the kernel's linked (upper-half) address, take the boot stack, call boot::boot_main
#      with the hvm_start_info address as its first argument.
#
# Exit state: long mode, the boot page tables loaded (vm.rs soon replaces them), %rsp at the top
# of the boot stack, never returns.
#
# Everything in this file before the jump runs at its physical address (section .boot, linked
# low); the symbols it uses are therefore physical addresses, except where noted.

    .section .note.Xen, "a"
    .p2align 2
    .long 4                     # name size ("Xen" and its NUL)
    .long 8                     # descriptor size: QEMU reads a 64-bit entry address for ELF64
    .long {xen_elfnote_phys32_entry}
    .asciz "Xen"
    .p2align 2
    .quad boot_entry32
    .p2align 2

    .section .boot.text, "ax"
    .code32
    .global boot_entry32
boot_entry32:
    cli
    cld

    # 1. boot_pd[i] = i * 2 MiB | present | writable | huge, for i in 0..512.
    movl $boot_pd, %edi
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl ${huge_rw}, %eax
    movl %eax, (%edi,%ecx,8)
    movl $0, 4(%edi,%ecx,8)
    incl %ecx
    cmpl $512, %ecx
    jne 1b

    # 3. Long mode (enter_long_mode, which needs a stack for its return address), then a far
    # jump into 64-bit code.
    movl $boot32_stack_top, %esp
    call enter_long_mode
    lgdt boot_gdt_pointer
    ljmp ${boot_code_selector}, $boot_entry64

    # enter_long_mode: from 32-bit protected mode with paging off, turns on PAE, loads boot_pml4,
    # sets EFER.LME (long mode) and EFER.NXE (no-execute pages), and turns on paging with
    # supervisor write protection. The CPU is then in long mode's 32-bit compatibility mode,
    # still running this code at its physical address (boot_pml4 maps low memory one to one),
    # and returns. Clobbers eax, ecx, edx.
    .global enter_long_mode         # application processors come through here too
enter_long_mode:
    movl %cr4, %eax
    orl ${cr4_pae}, %eax
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl ${msr_efer}, %ecx
    rdmsr
    orl ${efer_bits}, %eax
    wrmsr
    movl %cr0, %eax
    orl ${cr0_bits}, %eax
    movl %eax, %cr0
    ret

    .code64
boot_entry64:
    movl ${boot_data_selector}, %eax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorl %eax, %eax
    movw %ax, %fs
    movw %ax, %gs

    # 4. Into the upper half, where Rust is linked. The upper halves of the 64-bit registers are
    # undefined after the mode switch, so zero-extend the start-info address (a 32-bit write
    # clears the upper half).
    movl %ebx, %edi
    movabsq $boot_entry_high, %rax
    jmp *%rax

    .section .boot.data, "aw"
    .p2align 12
boot_pml4:
    .quad boot_pdpt_low + {table_rw}          # [0]: identity map of 0..1 GiB
    .fill {physmap_pml4_slot} - 1, 8, 0
    .quad boot_pdpt_low + {table_rw}          # [256]: physical memory window
    .fill {kernel_pml4_slot} - {physmap_pml4_slot} - 1, 8, 0
    .quad boot_pdpt_high + {table_rw}         # [511]: kernel image window
    .fill 511 - {kernel_pml4_slot}, 8, 0
boot_pdpt_low:
    .quad boot_pd + {table_rw}
    .fill 511, 8, 0
boot_pdpt_high:
    .fill {kernel_pdpt_slot}, 8, 0
    .quad boot_pd + {table_rw}                # [510]: KERNEL_VMA = 0xffffffff80000000
    .fill 511 - {kernel_pdpt_slot}, 8, 0
boot_pd:
    .fill 512, 8, 0

    # A stack for the one call in 32-bit mode.
    .p2align 4
    .fill 16, 1, 0
boot32_stack_top:

    .p2align 3
boot_gdt:
    .quad 0                                   # null descriptor
    .quad {boot_code_descriptor}              # 64-bit kernel code
    .quad {boot_data_descriptor}              # kernel data
boot_gdt_end:
boot_gdt_pointer:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt

    # From here on the code is linked in the upper half.
    .text
boot_entry_high:
    leaq {boot_stack} + {boot_stack_size}(%rip), %rsp
    xorl %ebp, %ebp
    call {boot_main}
    ud2
