// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {SessionTestBase} from "./SessionTestBase.sol";
import {SessionPacking} from "../../contracts/session/SessionPacking.sol";
import {
    Session,
    CallGrant,
    TokenAllowance,
    PeriodicAllowance,
    NATIVE_ASSET
} from "../../contracts/session/SessionTypes.sol";
import {SessionListTooLong} from "../../contracts/session/SessionErrors.sol";

/// @notice The packed session encoding (notes/PACKED.md, with the optional salt of notes/WAVE2.md): golden
///         vectors written byte by byte from the layout table (salt zero and non-zero), a fuzzed read-back of
///         every field at its documented offset, the module's assembly packer against the library's reference
///         encoder on fuzzed sessions, and the 255-entry bound of a 1-byte list length.
/// @dev Note: the session id is `keccak256(pack(session))`, so these vectors pin every id the module, the Rust
///      crates and the CLI compute; a change to the layout must change them on purpose.
contract PackedSessionTest is SessionTestBase {
    uint256 private constant HEADER = 58;
    uint256 private constant FLAGS_AT = 52;
    uint256 private constant COUNTS_AT = 53;

    // ----- Golden vectors -----

    /// @dev Every scalar field distinct, root, native and gas budgets present with the fee budget absent between
    ///      them, and every list non-empty.
    function _fullSession() private pure returns (Session memory s) {
        s.signer = 0x0102030405060708090a0B0c0d0e0f1011121314;
        s.validAfter = 0x212223242526;
        s.validUntil = 0x313233343536;
        s.period = 0x414243444546;
        s.periodStart = 0x515253545556;
        s.maxUses = 0x61626364;
        s.rateLimit = 0x71727374;
        s.root = true;
        s.nativeAllowance = 0x808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f;
        s.gasBudget = 0xa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf;
        s.calls = new CallGrant[](2);
        s.calls[0] = CallGrant(0xC1C1c1c1C1C1C1c1c1C1C1C1c1C1C1C1c1C1c1c1, 0xd1d2d3d4, 3);
        s.calls[1] = CallGrant(0xc2C2C2C2C2C2c2c2c2c2C2C2c2C2C2C2C2C2c2C2, 0xd5d6d7d8, 0);
        s.accountSelectors = new bytes4[](1);
        s.accountSelectors[0] = 0xe1e2e3e4;
        s.tokens = new TokenAllowance[](1);
        s.tokens[0] =
            TokenAllowance(0xf1f1f1F1f1f1F1F1f1F1f1F1F1F1F1f1F1f1f1F1, uint256(bytes32(_repeat(0x12))));
        s.periodic = new PeriodicAllowance[](2);
        s.periodic[0] = PeriodicAllowance(NATIVE_ASSET, uint256(bytes32(_repeat(0x23))));
        s.periodic[1] =
            PeriodicAllowance(0xf2f2f2F2f2F2f2F2F2F2f2f2F2f2f2F2F2f2F2F2, uint256(bytes32(_repeat(0x34))));
        s.paymasters = new address[](1);
        s.paymasters[0] = 0xF3F3f3F3F3F3F3f3f3F3F3F3f3f3f3F3f3F3f3F3;
        s.salt = _repeat(0x5a);
    }

    function _fullSessionBytes() private pure returns (bytes memory) {
        bytes memory header = bytes.concat(
            hex"0102030405060708090a0b0c0d0e0f1011121314", // 0 signer
            hex"212223242526", // 20 validAfter
            hex"313233343536", // 26 validUntil
            hex"414243444546", // 32 period
            hex"515253545556", // 38 periodStart
            hex"61626364", // 44 maxUses
            hex"71727374", // 48 rateLimit
            hex"1b", // 52 flags: root | native | gas | salt
            hex"0201020101" // 53 calls, tokens, periodic, paymasters, accountSelectors
        );
        bytes memory lists = bytes.concat(
            hex"c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1" // 58 calls[0]
            hex"d1d2d3d4" hex"03",
            hex"c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2c2" // 83 calls[1]
            hex"d5d6d7d8" hex"00",
            hex"f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1f1" // 108 tokens[0]
            hex"1212121212121212121212121212121212121212121212121212121212121212",
            hex"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" // 160 periodic[0]
            hex"2323232323232323232323232323232323232323232323232323232323232323",
            hex"f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2f2" // 212 periodic[1]
            hex"3434343434343434343434343434343434343434343434343434343434343434",
            hex"f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3f3", // 264 paymasters[0]
            hex"e1e2e3e4" // 284 accountSelectors[0]
        );
        bytes memory budgets = bytes.concat(
            hex"808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f", // 288 nativeAllowance
            hex"a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf" // 320 gasBudget
        );
        return bytes.concat(
            header,
            lists,
            budgets,
            hex"5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a" // 352 salt
        );
    }

    /// @dev Every budget present (their order pinned), no list, not root, salt zero (no salt word).
    function _budgetsOnlySession() private pure returns (Session memory s) {
        s.signer = 0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa;
        s.nativeAllowance = 1;
        s.feeBudget = 2;
        s.gasBudget = 3;
    }

    function _budgetsOnlySessionBytes() private pure returns (bytes memory) {
        return bytes.concat(
            hex"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", // 0 signer
            hex"000000000000" // 20 window and schedule
            hex"000000000000" hex"000000000000" hex"000000000000",
            hex"00000000" // 44 maxUses, rateLimit
            hex"00000000",
            hex"0e" // 52 flags: native | fee | gas; no list
            hex"0000000000",
            hex"0000000000000000000000000000000000000000000000000000000000000001", // 58 nativeAllowance
            hex"0000000000000000000000000000000000000000000000000000000000000002", // 90 feeBudget
            hex"0000000000000000000000000000000000000000000000000000000000000003" // 122 gasBudget
        );
    }

    function test_pack_goldenFullSession() public view {
        Session memory s = _fullSession();
        bytes memory expected = _fullSessionBytes();
        assertEq(expected.length, 384, "58 + 2*32 + 2*25 + 4 + 3*52 + 20 + 32");
        assertEq(SessionPacking.pack(s), expected, "library pack");
        assertEq(SessionPacking.id(s), keccak256(expected), "library id");
        assertEq(module.toPackedSession(s), expected, "module toPackedSession");
        assertEq(module.computeSessionId(s), keccak256(expected), "module computeSessionId");
        assertEq(idOf(s), keccak256(expected), "test idOf");
    }

    function test_pack_goldenBudgetsOnlySession() public view {
        Session memory s = _budgetsOnlySession();
        bytes memory expected = _budgetsOnlySessionBytes();
        assertEq(expected.length, 154, "58 + 3*32, no salt word");
        assertEq(SessionPacking.pack(s), expected, "library pack");
        assertEq(module.toPackedSession(s), expected, "module toPackedSession");
        assertEq(module.computeSessionId(s), keccak256(expected), "module computeSessionId");
    }

    /// @dev Each budget alone: its flag bit and its word, and nothing for the other two or the zero salt.
    function test_pack_goldenSingleBudgets() public view {
        bytes memory zeroScalars = new bytes(52);
        bytes memory seven = hex"0000000000000000000000000000000000000000000000000000000000000007";
        bytes1[3] memory flagBytes = [bytes1(0x02), 0x04, 0x08];
        for (uint256 i; i < 3; ++i) {
            Session memory s;
            if (i == 0) s.nativeAllowance = 7;
            if (i == 1) s.feeBudget = 7;
            if (i == 2) s.gasBudget = 7;
            bytes memory expected = bytes.concat(zeroScalars, flagBytes[i], hex"0000000000", seven);
            assertEq(module.toPackedSession(s), expected);
            assertEq(SessionPacking.pack(s), expected);
        }
        // No budget, no list, no field, salt zero: the 58-byte header alone, all zero.
        Session memory empty;
        assertEq(module.toPackedSession(empty), new bytes(58));
        assertEq(SessionPacking.pack(empty), new bytes(58));
        assertEq(module.computeSessionId(empty), keccak256(new bytes(58)));
    }

    /// @dev The salt is carried (flags bit 4, one word after the budgets) only when it is not zero: the same
    ///      session with salt zero and with a salt, byte by byte, and their distinct ids.
    function test_pack_goldenSaltZeroAndNonZero() public view {
        Session memory s;
        s.signer = 0xaAaAaAaaAaAaAaaAaAAAAAAAAaaaAaAaAaaAaaAa;
        s.feeBudget = 5;
        bytes memory withoutSalt = bytes.concat(
            hex"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", // 0 signer
            new bytes(32), // 20 window, schedule, maxUses, rateLimit
            hex"04" // 52 flags: fee; no salt
            hex"0000000000",
            hex"0000000000000000000000000000000000000000000000000000000000000005" // 58 feeBudget
        );
        assertEq(withoutSalt.length, 90, "58 + 32");
        assertEq(SessionPacking.pack(s), withoutSalt, "library, salt zero");
        assertEq(module.toPackedSession(s), withoutSalt, "module, salt zero");
        assertEq(module.computeSessionId(s), keccak256(withoutSalt), "id, salt zero");
        s.salt = 0x00000000000000000000000000000000000000000000000000000000000000c5;
        bytes memory withSalt = bytes.concat(
            hex"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", // 0 signer
            new bytes(32), // 20 window, schedule, maxUses, rateLimit
            hex"14" // 52 flags: fee | salt
            hex"0000000000",
            hex"0000000000000000000000000000000000000000000000000000000000000005", // 58 feeBudget
            hex"00000000000000000000000000000000000000000000000000000000000000c5" // 90 salt
        );
        assertEq(withSalt.length, 122, "58 + 2*32");
        assertEq(SessionPacking.pack(s), withSalt, "library, salt set");
        assertEq(module.toPackedSession(s), withSalt, "module, salt set");
        assertEq(module.computeSessionId(s), keccak256(withSalt), "id, salt set");
        assertTrue(keccak256(withSalt) != keccak256(withoutSalt), "the salt changes the id");
    }

    // ----- Field offsets, fuzzed -----

    /// @dev A session whose every field comes from `seed`: each budget is zero half of the time, each list holds
    ///      0 to 4 entries.
    function _sessionFromSeed(bytes32 seed) private pure returns (Session memory s) {
        s.signer = address(uint160(_word(seed, 0)));
        s.validAfter = uint48(_word(seed, 1));
        s.validUntil = uint48(_word(seed, 2));
        s.period = uint48(_word(seed, 3));
        s.periodStart = uint48(_word(seed, 4));
        s.maxUses = uint32(_word(seed, 5));
        s.rateLimit = uint32(_word(seed, 6));
        s.root = _word(seed, 7) & 1 == 1;
        s.nativeAllowance = _maybeZero(seed, 8);
        s.feeBudget = _maybeZero(seed, 9);
        s.gasBudget = _maybeZero(seed, 10);
        s.salt = bytes32(_maybeZero(seed, 11));
        s.calls = new CallGrant[](_word(seed, 12) % 5);
        for (uint256 i; i < s.calls.length; ++i) {
            uint256 w = _word(seed, 100 + i);
            // forge-lint: disable-next-line(unsafe-typecast) -- truncation is the point: fields drawn from one word
            s.calls[i] = CallGrant(address(uint160(w)), bytes4(uint32(w >> 160)), uint8(w >> 192));
        }
        s.accountSelectors = new bytes4[](_word(seed, 13) % 5);
        for (uint256 i; i < s.accountSelectors.length; ++i) {
            s.accountSelectors[i] = bytes4(uint32(_word(seed, 200 + i)));
        }
        s.tokens = new TokenAllowance[](_word(seed, 14) % 5);
        for (uint256 i; i < s.tokens.length; ++i) {
            s.tokens[i] = TokenAllowance(address(uint160(_word(seed, 300 + i))), _word(seed, 350 + i));
        }
        s.periodic = new PeriodicAllowance[](_word(seed, 15) % 5);
        for (uint256 i; i < s.periodic.length; ++i) {
            s.periodic[i] = PeriodicAllowance(address(uint160(_word(seed, 400 + i))), _word(seed, 450 + i));
        }
        s.paymasters = new address[](_word(seed, 16) % 5);
        for (uint256 i; i < s.paymasters.length; ++i) {
            s.paymasters[i] = address(uint160(_word(seed, 500 + i)));
        }
    }

    /// @dev Reads every field of `s` back from its packed bytes at the offsets of the layout table.
    function testFuzz_pack_everyFieldAtItsOffset(bytes32 seed) public view {
        Session memory s = _sessionFromSeed(seed);
        bytes memory p = module.toPackedSession(s);
        assertEq(p, SessionPacking.pack(s), "module and library agree");
        assertEq(module.computeSessionId(s), keccak256(p), "id is the hash of the packed bytes");
        uint256 words = (s.nativeAllowance != 0 ? 1 : 0) + (s.feeBudget != 0 ? 1 : 0)
            + (s.gasBudget != 0 ? 1 : 0) + (s.salt != 0 ? 1 : 0);
        assertEq(
            p.length,
            HEADER + 32 * words + 25 * s.calls.length + 4 * s.accountSelectors.length + 52
                * (s.tokens.length + s.periodic.length) + 20 * s.paymasters.length,
            "length"
        );
        assertEq(_read(p, 0, 20), uint160(s.signer), "signer");
        assertEq(_read(p, 20, 6), s.validAfter, "validAfter");
        assertEq(_read(p, 26, 6), s.validUntil, "validUntil");
        assertEq(_read(p, 32, 6), s.period, "period");
        assertEq(_read(p, 38, 6), s.periodStart, "periodStart");
        assertEq(_read(p, 44, 4), s.maxUses, "maxUses");
        assertEq(_read(p, 48, 4), s.rateLimit, "rateLimit");
        uint256 flags = (s.root ? 1 : 0) | (s.nativeAllowance != 0 ? 2 : 0) | (s.feeBudget != 0 ? 4 : 0)
            | (s.gasBudget != 0 ? 8 : 0) | (s.salt != 0 ? 16 : 0);
        assertEq(_read(p, FLAGS_AT, 1), flags, "flags");
        assertEq(_read(p, _countAt(0), 1), s.calls.length, "calls length");
        assertEq(_read(p, _countAt(1), 1), s.accountSelectors.length, "accountSelectors length");
        assertEq(_read(p, _countAt(2), 1), s.tokens.length, "tokens length");
        assertEq(_read(p, _countAt(3), 1), s.periodic.length, "periodic length");
        assertEq(_read(p, _countAt(4), 1), s.paymasters.length, "paymasters length");
        uint256 at = _expectLists(p, HEADER, s);
        if (s.nativeAllowance != 0) at = _expectWord(p, at, s.nativeAllowance, "nativeAllowance");
        if (s.feeBudget != 0) at = _expectWord(p, at, s.feeBudget, "feeBudget");
        if (s.gasBudget != 0) at = _expectWord(p, at, s.gasBudget, "gasBudget");
        if (s.salt != 0) at = _expectWord(p, at, uint256(s.salt), "salt");
        assertEq(at, p.length, "nothing after the last present word");
    }

    /// @dev Two independent encoders on any session the fuzzer builds (every field, random list lengths): the
    ///      module's assembly packer over calldata and the library's reference `pack` give the same bytes (or the
    ///      same revert), and the module's id is their hash.
    function testFuzz_pack_moduleMatchesReference(Session memory s) public view {
        (bool moduleOk, bytes memory moduleOut) =
            address(module).staticcall(abi.encodeCall(module.toPackedSession, (s)));
        (bool referenceOk, bytes memory referenceOut) =
            address(this).staticcall(abi.encodeCall(this.referencePack, (s)));
        assertEq(moduleOk, referenceOk, "both encode or both revert");
        assertEq(moduleOut, referenceOut, "same bytes or same revert data");
        if (moduleOk) {
            bytes memory p = abi.decode(moduleOut, (bytes));
            assertEq(module.computeSessionId(s), keccak256(p), "id is the hash of the packed bytes");
            assertEq(SessionPacking.id(s), keccak256(p), "library id");
        }
    }

    /// @notice The reference encoder behind an external call, so that a revert can be compared with the module's.
    /// @param s The session to pack.
    /// @return The packed encoding of `s` (SessionPacking.pack).
    function referencePack(Session calldata s) external pure returns (bytes memory) {
        return SessionPacking.pack(s);
    }

    function _expectLists(bytes memory p, uint256 at, Session memory s) private pure returns (uint256) {
        for (uint256 i; i < s.calls.length; ++i) {
            assertEq(_read(p, at, 20), uint160(s.calls[i].target), "call target");
            assertEq(_read(p, at + 20, 4), uint32(s.calls[i].selector), "call selector");
            assertEq(_read(p, at + 24, 1), s.calls[i].flags, "call flags");
            at += 25;
        }
        for (uint256 i; i < s.tokens.length; ++i) {
            assertEq(_read(p, at, 20), uint160(s.tokens[i].token), "token");
            at = _expectWord(p, at + 20, s.tokens[i].amount, "token amount");
        }
        for (uint256 i; i < s.periodic.length; ++i) {
            assertEq(_read(p, at, 20), uint160(s.periodic[i].asset), "periodic asset");
            at = _expectWord(p, at + 20, s.periodic[i].amount, "periodic amount");
        }
        for (uint256 i; i < s.paymasters.length; ++i) {
            assertEq(_read(p, at, 20), uint160(s.paymasters[i]), "paymaster");
            at += 20;
        }
        for (uint256 i; i < s.accountSelectors.length; ++i) {
            assertEq(_read(p, at, 4), uint32(s.accountSelectors[i]), "account selector");
            at += 4;
        }
        return at;
    }

    // ----- List bound -----

    /// @dev A list of 256 entries has no 1-byte length: neither an id nor an encoding, for each of the five
    ///      lists (field numbers as in SessionListTooLong).
    function test_pack_listLongerThan255HasNoId() public {
        for (uint8 field; field < 5; ++field) {
            Session memory s = _withListLength(field, 256);
            vm.expectRevert(abi.encodeWithSelector(SessionListTooLong.selector, field, 256, 255));
            module.computeSessionId(s);
            vm.expectRevert(abi.encodeWithSelector(SessionListTooLong.selector, field, 256, 255));
            module.toPackedSession(s);
        }
        // Several lists too long: the first in field order is reported.
        Session memory all = _withListLength(4, 300);
        all.accountSelectors = new bytes4[](256);
        vm.expectRevert(abi.encodeWithSelector(SessionListTooLong.selector, 1, 256, 255));
        module.computeSessionId(all);
    }

    /// @dev 255 entries is the largest list with an encoding: its length byte is 0xff.
    function test_pack_list255IsTheBound() public view {
        uint256[5] memory sizes = [uint256(25), 4, 52, 52, 20];
        for (uint8 field; field < 5; ++field) {
            Session memory s = _withListLength(field, 255);
            bytes memory p = module.toPackedSession(s);
            assertEq(p.length, HEADER + 255 * sizes[field], "length");
            assertEq(_read(p, _countAt(field), 1), 255, "length byte");
            assertEq(module.computeSessionId(s), keccak256(p), "id");
        }
    }

    // ----- Helpers -----

    /// @dev Offset of the length byte of list `field` (SessionListTooLong numbering: 0 calls, 1 accountSelectors,
    ///      2 tokens, 3 periodic, 4 paymasters); the header orders them calls, tokens, periodic, paymasters,
    ///      accountSelectors.
    function _countAt(uint256 field) private pure returns (uint256) {
        return field == 0 ? COUNTS_AT : field == 1 ? COUNTS_AT + 4 : COUNTS_AT + field - 1;
    }

    function _withListLength(uint8 field, uint256 length) private pure returns (Session memory s) {
        if (field == 0) s.calls = new CallGrant[](length);
        if (field == 1) s.accountSelectors = new bytes4[](length);
        if (field == 2) s.tokens = new TokenAllowance[](length);
        if (field == 3) s.periodic = new PeriodicAllowance[](length);
        if (field == 4) s.paymasters = new address[](length);
    }

    /// @dev Asserts the 32-byte big-endian word at `at` and returns the next offset.
    function _expectWord(bytes memory p, uint256 at, uint256 value, string memory what)
        private
        pure
        returns (uint256 next)
    {
        assertEq(_read(p, at, 32), value, what);
        next = at + 32;
    }

    /// @dev The `size`-byte big-endian integer at `offset` of `p` (reverts past its end).
    function _read(bytes memory p, uint256 offset, uint256 size) private pure returns (uint256 value) {
        require(offset + size <= p.length, "read past the end");
        for (uint256 i; i < size; ++i) {
            value = (value << 8) | uint8(p[offset + i]);
        }
    }

    function _word(bytes32 seed, uint256 index) private pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, index)));
    }

    function _maybeZero(bytes32 seed, uint256 index) private pure returns (uint256) {
        uint256 w = _word(seed, index);
        return w & 1 == 0 ? 0 : w >> 1;
    }

    function _repeat(uint8 b) private pure returns (bytes32 word) {
        return bytes32(uint256(b) * (type(uint256).max / 0xff));
    }
}
