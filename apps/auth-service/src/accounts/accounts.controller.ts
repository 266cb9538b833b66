import { Body, Controller, Post, UseGuards } from '@nestjs/common';
import { ApiCreatedResponse, ApiTags } from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import { AccountsService } from './accounts.service';
import { AccountCreatedDto, CreateAccountDto } from './dto/accounts.dto';

@ApiTags('accounts')
@Controller('v1/accounts')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post()
  // The same per-IP limit as the sign-in routes: sign-up costs an Argon2id hash, and email_taken
  // answers tell whether an address has an account, so neither may run unbounded.
  @UseGuards(ThrottlerGuard)
  @ApiCreatedResponse({ type: AccountCreatedDto, description: '409 email_taken, 400 weak_password, 403 signup_closed; 429 too_many_requests' })
  create(@Body() body: CreateAccountDto): Promise<AccountCreatedDto> {
    return this.accounts.signUp(body.email, body.password);
  }
}
